using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class MerkleTreeTests
{
    private static readonly byte[][] Leaves =
        new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }
        .Select(Convert.FromHexString).ToArray();

    [Fact]
    public void ComputeRoot_EmptyPayload_IsZeroHash()
    {
        Assert.Equal(Hash256.Zero, MerkleTree.ComputeRoot(Array.Empty<byte[]>()));
    }

    // RFC 6962 (Certificate Transparency) Merkle Tree Hash vectors: the same leaves give the same roots.
    [Theory]
    [InlineData(1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]
    [InlineData(2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]
    [InlineData(3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77")]
    [InlineData(4, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(5, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4")]
    [InlineData(6, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef")]
    [InlineData(7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c")]
    [InlineData(8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
    public void ComputeRoot_Rfc6962Vectors_MatchExpectedRoot(int count, string expectedHex)
    {
        Assert.Equal(Hash256.Parse(expectedHex), MerkleTree.ComputeRoot(Leaves.Take(count).ToArray()));
    }

    [Fact]
    public void ComputeRoot_LastItemDuplicated_GivesDifferentRoot()
    {
        byte[][] three = [[1], [2], [3]];
        byte[][] threeWithLastRepeated = [[1], [2], [3], [3]];

        Assert.NotEqual(MerkleTree.ComputeRoot(three), MerkleTree.ComputeRoot(threeWithLastRepeated));
    }

    [Fact]
    public void ComputeRoot_ItemThatLooksLikeInnerNode_GivesDifferentRoot()
    {
        byte[][] two = [[1], [2]];
        var leafHashes = two.Select(item => Hash256.Sha256([0x00, .. item]).ToArray()).ToArray();
        byte[][] forged = [[.. leafHashes[0], .. leafHashes[1]]];

        Assert.NotEqual(MerkleTree.ComputeRoot(two), MerkleTree.ComputeRoot(forged));
    }

    [Fact]
    public void ComputeRoot_ReorderedItems_GivesDifferentRoot()
    {
        byte[][] ordered = [[1], [2]];
        byte[][] reordered = [[2], [1]];

        Assert.NotEqual(MerkleTree.ComputeRoot(ordered), MerkleTree.ComputeRoot(reordered));
    }
}
