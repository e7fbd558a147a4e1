using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Crypto;

public class KeyPairTests
{
    [Fact]
    public void Sign_ThenVerifyWithPublicKey_Succeeds()
    {
        using var keys = KeyPair.Generate();
        var data = Encoding.UTF8.GetBytes("heartbeat");
        Assert.True(keys.PublicKey.Verify(data, keys.Sign(data)));
    }

    [Fact]
    public void Verify_TamperedData_Fails()
    {
        using var keys = KeyPair.Generate();
        var signature = keys.Sign("height=10"u8);
        Assert.False(keys.PublicKey.Verify("height=11"u8, signature));
    }

    [Fact]
    public void Verify_SignatureFromOtherKey_Fails()
    {
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();
        Assert.False(b.PublicKey.Verify("x"u8, a.Sign("x"u8)));
    }

    [Fact]
    public void Verify_WrongSignatureLength_FailsWithoutThrowing()
    {
        using var keys = KeyPair.Generate();
        Assert.False(keys.PublicKey.Verify("x"u8, new byte[10]));
    }

    [Fact]
    public void FromPrivateKey_ExportedSeed_RestoresSameIdentity()
    {
        using var original = KeyPair.Generate();
        using var restored = KeyPair.FromPrivateKey(original.ExportPrivateKey());
        Assert.Equal(original.PublicKey, restored.PublicKey);
        Assert.True(original.PublicKey.Verify("m"u8, restored.Sign("m"u8)));
    }

    [Fact]
    public void PublicKey_ParseToString_RoundTrips()
    {
        using var keys = KeyPair.Generate();
        var parsed = PublicKey.Parse(keys.PublicKey.ToString());
        Assert.Equal(keys.PublicKey, parsed);
        Assert.Equal(keys.PublicKey.GetHashCode(), parsed.GetHashCode());
    }

    [Fact]
    public void PublicKey_CompareTo_OrdersByBytes()
    {
        var low = new PublicKey(Enumerable.Repeat((byte)1, 32).ToArray());
        var high = new PublicKey(Enumerable.Repeat((byte)2, 32).ToArray());
        Assert.True(low.CompareTo(high) < 0);
        Assert.True(high.CompareTo(low) > 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcd")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    public void PublicKey_TryParse_RejectsMalformedText(string text)
    {
        Assert.False(PublicKey.TryParse(text, out _));
    }
}
