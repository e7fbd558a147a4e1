using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Crypto;

public class Hash256Tests
{
    [Fact]
    public void DoubleSha256_EmptyInput_MatchesKnownVector()
    {
        // SHA-256d("") is a well-known constant.
        Assert.Equal("5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456", Hash256.DoubleSha256([]).ToString());
    }

    [Fact]
    public void Parse_ToString_RoundTrips()
    {
        var hash = Hash256.Sha256("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hash.ToString());
        Assert.Equal(hash, Hash256.Parse(hash.ToString()));
    }

    [Fact]
    public void CompareTo_FollowsByteOrder()
    {
        var bytes = new byte[32];
        bytes[31] = 1;
        var small = new Hash256(bytes);
        bytes[0] = 1;
        var large = new Hash256(bytes);
        Assert.True(small < large);
        Assert.True(Hash256.Zero < small);
    }

    [Fact]
    public void ToArray_ConstructorFromArray_RoundTrips()
    {
        var hash = Hash256.Sha256("x"u8);
        Assert.Equal(hash, new Hash256(hash.ToArray()));
        Assert.False(hash.IsZero);
        Assert.True(Hash256.Zero.IsZero);
    }

    [Fact]
    public void TryParse_WrongLength_ReturnsFalse()
    {
        Assert.False(Hash256.TryParse("00", out _));
        Assert.False(Hash256.TryParse(null, out _));
    }
}
