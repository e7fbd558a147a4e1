using System.Text;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;

namespace TimeCoin.Core.Tests.Masternodes;

public sealed class MasternodeAnnouncementTests : IDisposable
{
    private static readonly DateTimeOffset SignedAt = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly KeyPair _keys = KeyPair.Generate();
    private readonly KeyPair _otherKeys = KeyPair.Generate();

    public void Dispose()
    {
        _keys.Dispose();
        _otherKeys.Dispose();
    }

    private MasternodeAnnouncement Valid() =>
        MasternodeAnnouncement.Create(_keys, "testnet", "10.0.0.1:24100", MasternodeTier.Silver, SignedAt);

    [Fact]
    public void Create_SignedByAnnouncedKey_VerifySignatureTrue()
    {
        Assert.True(Valid().VerifySignature());
    }

    [Fact]
    public void VerifySignature_SignedByAnotherKey_False()
    {
        var genuine = Valid();
        var forged = new MasternodeAnnouncement("testnet", _keys.PublicKey, "10.0.0.1:24100", MasternodeTier.Silver, SignedAt,
            _otherKeys.Sign(genuine.GetSigningBytes()));
        Assert.False(forged.VerifySignature());
    }

    [Fact]
    public void VerifySignature_TierRaised_False()
    {
        var a = Valid();
        var tampered = new MasternodeAnnouncement(a.Network, a.MasternodeKey, a.Address, MasternodeTier.Gold, a.Timestamp, a.Signature.Span);
        Assert.False(tampered.VerifySignature());
    }

    [Fact]
    public void VerifySignature_HeartbeatSignatureOverSameKey_NotAccepted()
    {
        // Domain separation: a heartbeat signature never verifies as an announcement.
        var heartbeat = Heartbeat.Create(_keys, "testnet", "10.0.0.1:24100", 1, SignedAt, 1);
        var a = Valid();
        var reused = new MasternodeAnnouncement(a.Network, a.MasternodeKey, a.Address, a.Tier, a.Timestamp, heartbeat.Signature.Span);
        Assert.False(reused.VerifySignature());
        Assert.Equal("TIME/masternode-announcement/v1", Encoding.ASCII.GetString(a.GetSigningBytes(), 0, MasternodeAnnouncement.SigningDomain.Length));
    }

    [Fact]
    public void TryDecode_EncodedAnnouncement_RoundTripsEveryField()
    {
        var original = Valid();

        Assert.True(MasternodeAnnouncement.TryDecode(original.Encode(), out var decoded, out var error), error);

        Assert.Equal(original.Network, decoded.Network);
        Assert.Equal(original.MasternodeKey, decoded.MasternodeKey);
        Assert.Equal(original.Address, decoded.Address);
        Assert.Equal(original.Tier, decoded.Tier);
        Assert.Equal(original.Timestamp, decoded.Timestamp);
        Assert.True(decoded.VerifySignature());
    }

    [Fact]
    public void TryDecode_EveryTruncation_ReturnsErrorWithoutThrowing()
    {
        var encoded = Valid().Encode();
        for (int length = 0; length < encoded.Length; length++)
        {
            Assert.False(MasternodeAnnouncement.TryDecode(encoded.AsSpan(0, length), out var announcement, out var error));
            Assert.Null(announcement);
            Assert.StartsWith("invalid announcement: ", error);
        }
    }

    [Fact]
    public void TryDecode_UnknownTier_ErrorNamesTheTier()
    {
        var encoded = Valid().Encode();
        int tierOffset = 1 + 1 + 7 + 32 + 1 + "10.0.0.1:24100".Length;
        encoded[tierOffset] = 77;
        Assert.False(MasternodeAnnouncement.TryDecode(encoded, out _, out var error));
        Assert.Contains("unknown tier 77", error);
    }

    [Fact]
    public void TryDecode_RandomGarbage_ReturnsErrorWithoutThrowing()
    {
        var random = new Random(99);
        for (int i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (garbage.Length > 0)
                garbage[0] = MasternodeAnnouncement.WireVersion;
            var ok = MasternodeAnnouncement.TryDecode(garbage, out _, out var error);
            Assert.True(ok || error is not null);
        }
    }

    [Fact]
    public void Ctor_UndefinedTier_ThrowsNamingTheTier()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            MasternodeAnnouncement.Create(_keys, "testnet", "10.0.0.1:24100", (MasternodeTier)9, SignedAt));
        Assert.Equal("tier", error.ParamName);
    }
}
