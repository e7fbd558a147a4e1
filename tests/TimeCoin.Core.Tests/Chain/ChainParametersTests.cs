using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class ChainParametersTests
{
    private static PublicKey[] NewKeys(int count) => Enumerable.Range(0, count).Select(_ =>
    {
        using var key = KeyPair.Generate();
        return key.PublicKey;
    }).ToArray();

    [Fact]
    public void GenesisHash_SameParametersBuiltTwice_IsIdentical()
    {
        var keys = NewKeys(3);

        var a = ChainParameters.CreateDevnet(keys, 1_800_000_000);
        var b = ChainParameters.CreateDevnet(keys.Reverse(), 1_800_000_000);

        Assert.Equal(a.GenesisHash, b.GenesisHash);
        Assert.Equal(BlockCodec.Encode(a.GenesisBlock), BlockCodec.Encode(b.GenesisBlock));
        Assert.Equal(a.GenesisHash, a.GenesisHash);
    }

    [Fact]
    public void GenesisHash_BuiltInNetworks_StableAcrossCallsAndDistinct()
    {
        Assert.Equal(ChainParameters.Mainnet.GenesisHash, ChainParameters.ForNetwork("mainnet").GenesisHash);
        Assert.Equal(ChainParameters.Devnet.GenesisHash, ChainParameters.ForNetwork("DEVNET").GenesisHash);
        var hashes = ChainParameters.BuiltInNetworkNames.Select(n => ChainParameters.ForNetwork(n).GenesisHash).ToArray();
        Assert.Equal(3, hashes.Distinct().Count());
    }

    [Fact]
    public void GenesisHash_DifferentFederation_Differs()
    {
        var keys = NewKeys(3);

        var a = ChainParameters.CreateDevnet(keys, 1_800_000_000);
        var b = ChainParameters.CreateDevnet(keys.Take(2), 1_800_000_000);

        Assert.NotEqual(a.GenesisHash, b.GenesisHash);
    }

    [Fact]
    public void GenesisHash_DifferentBlockTimeOrGenesisTime_Differs()
    {
        var keys = NewKeys(1);
        var baseline = ChainParameters.CreateDevnet(keys, 1_800_000_000, 1);

        Assert.NotEqual(baseline.GenesisHash, ChainParameters.CreateDevnet(keys, 1_800_000_000, 2).GenesisHash);
        Assert.NotEqual(baseline.GenesisHash, ChainParameters.CreateDevnet(keys, 1_800_000_001, 1).GenesisHash);
    }

    [Fact]
    public void WithMaxReorgDepth_ChangesPolicyOnly_GenesisUnchanged()
    {
        var changed = ChainParameters.Testnet.WithMaxReorgDepth(7).WithFutureTolerance(3);

        Assert.Equal(7, changed.MaxReorgDepth);
        Assert.Equal(3, changed.FutureToleranceSeconds);
        Assert.Equal(ChainParameters.Testnet.GenesisHash, changed.GenesisHash);
        Assert.Equal(ChainParameters.DefaultMaxReorgDepth, ChainParameters.Testnet.MaxReorgDepth);
    }

    [Fact]
    public void GenesisBlock_Shape_FollowsDocumentedRules()
    {
        var p = ChainParameters.Mainnet;
        var genesis = p.GenesisBlock;

        Assert.Equal(0, genesis.Header.Height);
        Assert.Equal(Hash256.Zero, genesis.Header.PreviousHash);
        Assert.Equal(0ul, genesis.Header.Slot);
        Assert.Equal(p.GenesisTime, genesis.Header.Timestamp);
        Assert.Equal(p.Federation[0], genesis.Header.Producer);
        Assert.Equal(new byte[64], genesis.Header.Signature.ToArray());
        Assert.Equal(MerkleTree.ComputeRoot(genesis.Transactions), genesis.Header.MerkleRoot);
        Assert.True(BlockCodec.TryDecode(BlockCodec.Encode(genesis), p.Limits, out var decoded, out _));
        Assert.Equal(p.GenesisHash, decoded.Hash);
    }

    [Fact]
    public void Federation_BuiltIns_AreSortedAndValid()
    {
        Assert.Equal(4, ChainParameters.Mainnet.Federation.Count);
        Assert.Equal(3, ChainParameters.Testnet.Federation.Count);
        Assert.Equal(ChainParameters.Mainnet.Federation.OrderBy(k => k), ChainParameters.Mainnet.Federation);
        using var devKey = ChainParameters.CreateWellKnownDevnetKey();
        Assert.Equal([devKey.PublicKey], ChainParameters.Devnet.Federation);
        Assert.Equal(1, ChainParameters.Devnet.BlockTimeSeconds);
    }

    [Fact]
    public void ForNetwork_Unknown_ThrowsListingKnownNetworks()
    {
        var ex = Assert.Throws<ArgumentException>(() => ChainParameters.ForNetwork("moonnet"));

        Assert.Contains("moonnet", ex.Message);
        Assert.Contains("mainnet, testnet, devnet", ex.Message);
        Assert.False(ChainParameters.TryForNetwork(null, out _));
    }

    [Fact]
    public void Constructor_InvalidFields_ThrowNamingThem()
    {
        var keys = NewKeys(1);

        Assert.Equal("networkName", Assert.Throws<ArgumentException>(() => new ChainParameters("Bad Name", 1, 0, 1, keys)).ParamName);
        Assert.Equal("blockTimeSeconds", Assert.Throws<ArgumentOutOfRangeException>(() => new ChainParameters("x", 1, 0, 0, keys)).ParamName);
        Assert.Equal("maxReorgDepth", Assert.Throws<ArgumentOutOfRangeException>(() => new ChainParameters("x", 1, 0, 1, keys, maxReorgDepth: 0)).ParamName);
        Assert.Throws<ArgumentException>(() => new ChainParameters("x", 1, 0, 1, []));
    }
}
