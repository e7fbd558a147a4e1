using Microsoft.Extensions.Logging;
using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyViolationTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = NewClock();
    private readonly RecordingLogger<PeerPolicy> _logger = new();
    private readonly PeerPolicy _policy;
    private readonly System.Net.IPAddress _peer = Ip("203.0.113.7");

    public PeerPolicyViolationTests() => _policy = NewPolicy(_clock, logger: _logger);

    private ViolationOutcome Ordinary(ViolationKind kind = ViolationKind.MalformedMessage) =>
        _policy.RecordViolation(_peer, kind, "test");

    [Fact]
    public void RecordViolation_FirstTwoOrdinary_IgnoredAndNotBanned()
    {
        Assert.Equal(ViolationAction.Ignored, Ordinary().Action);
        Assert.Equal(ViolationAction.Ignored, Ordinary().Action);
        Assert.False(_policy.IsBanned(_peer));
        Assert.Equal(2, _policy.GetViolationScore(_peer));
    }

    [Fact]
    public void RecordViolation_ThirdOrdinary_BansForFiveMinutes()
    {
        Ordinary();
        Ordinary();
        var outcome = Ordinary();

        Assert.Equal(ViolationAction.Banned, outcome.Action);
        Assert.Equal(Start + TimeSpan.FromMinutes(5), outcome.BannedUntil);
        Assert.True(_policy.IsBanned(_peer));
        var ban = _policy.GetBan(_peer)!;
        Assert.Equal(BanSource.Automatic, ban.Source);

        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.True(_policy.IsBanned(_peer));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_policy.IsBanned(_peer));
        Assert.Empty(_policy.ListBans());
    }

    [Fact]
    public void RecordViolation_FifthOrdinary_BansForOneHour()
    {
        for (var i = 0; i < 4; i++)
            Ordinary();
        var outcome = Ordinary();

        Assert.Equal(ViolationAction.Banned, outcome.Action);
        Assert.Equal(5, outcome.Score);
        Assert.Equal(Start + TimeSpan.FromHours(1), outcome.BannedUntil);
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.True(_policy.IsBanned(_peer));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(_policy.IsBanned(_peer));
    }

    [Fact]
    public void RecordViolation_TenthOrdinary_BansPermanently()
    {
        ViolationOutcome outcome = null!;
        for (var i = 0; i < 10; i++)
        {
            outcome = Ordinary(ViolationKind.RateLimitExceeded);
            _clock.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.True(outcome.IsPermanentBan);
        Assert.Null(outcome.BannedUntil);
        _clock.Advance(TimeSpan.FromDays(365));
        Assert.True(_policy.IsBanned(_peer));
        Assert.True(_policy.GetBan(_peer)!.IsPermanent);
    }

    [Fact]
    public void RecordViolation_AfterOneHourQuiet_CountStartsAgain()
    {
        Ordinary();
        Ordinary();
        _clock.Advance(TimeSpan.FromHours(1));

        var outcome = Ordinary();

        Assert.Equal(ViolationAction.Ignored, outcome.Action);
        Assert.Equal(1, outcome.Score);
        Assert.False(_policy.IsBanned(_peer));
    }

    [Fact]
    public void RecordViolation_JustUnderOneHourQuiet_CountContinues()
    {
        Ordinary();
        Ordinary();
        _clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));

        var outcome = Ordinary();

        Assert.Equal(ViolationAction.Banned, outcome.Action);
        Assert.Equal(3, outcome.Score);
    }

    [Fact]
    public void RecordViolation_EachViolationRestartsTheQuietHour()
    {
        Ordinary();
        _clock.Advance(TimeSpan.FromMinutes(50));
        Ordinary();
        _clock.Advance(TimeSpan.FromMinutes(50));

        Assert.Equal(3, Ordinary().Score);
    }

    [Theory]
    [InlineData(ViolationKind.WrongNetwork)]
    [InlineData(ViolationKind.WrongGenesis)]
    [InlineData(ViolationKind.ForgedSignature)]
    [InlineData(ViolationKind.OversizedFrame)]
    public void RecordViolation_SingleSevere_WeighsFiveAndBansForOneHour(ViolationKind kind)
    {
        var outcome = _policy.RecordViolation(_peer, kind, "handshake");

        Assert.Equal(5, outcome.Score);
        Assert.Equal(ViolationAction.Banned, outcome.Action);
        Assert.Equal(Start + TimeSpan.FromHours(1), outcome.BannedUntil);
    }

    [Fact]
    public void RecordViolation_TwoSevere_BansPermanently()
    {
        _policy.RecordViolation(_peer, ViolationKind.ForgedSignature, "a");
        Assert.True(_policy.RecordViolation(_peer, ViolationKind.ForgedSignature, "b").IsPermanentBan);
    }

    [Fact]
    public void RecordViolation_SevereBelowBanThreshold_StillDisconnects()
    {
        var policy = NewPolicy(_clock, new PeerPolicyOptions { SevereViolationWeight = 1 });
        Assert.Equal(ViolationAction.Disconnect, policy.RecordViolation(_peer, ViolationKind.WrongNetwork, "x").Action);
    }

    [Fact]
    public void RecordViolation_NoBanPeerOrdinary_NeverBanned()
    {
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Config, "friend");

        for (var i = 0; i < 20; i++)
            Assert.Equal(ViolationAction.Ignored, Ordinary().Action);

        Assert.False(_policy.IsBanned(_peer));
        Assert.Equal(0, _policy.GetViolationScore(_peer));
    }

    [Fact]
    public void RecordViolation_NoBanPeerSevere_DisconnectsWithoutBanAndLogsCritical()
    {
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Rpc, "friend");

        var outcome = _policy.RecordViolation(_peer, ViolationKind.WrongGenesis, "genesis abc");

        Assert.Equal(ViolationAction.Disconnect, outcome.Action);
        Assert.False(_policy.IsBanned(_peer));
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains("WrongGenesis"));
    }

    [Fact]
    public void RecordViolation_DiscoveryWhitelistedPeer_IsStillBanned()
    {
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Discovery, "api");
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Masternode, "mn");

        Ordinary();
        Ordinary();
        Assert.Equal(ViolationAction.Banned, Ordinary().Action);
        Assert.True(_policy.IsBanned(_peer));
    }

    [Fact]
    public void RecordViolation_NoBanWithoutOtherPermissions_StillProtects()
    {
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Config, "cfg", PeerPermissions.NoBan);
        for (var i = 0; i < 5; i++)
            Ordinary();
        Assert.False(_policy.IsBanned(_peer));
    }

    [Fact]
    public void RecordViolation_ManualEntryWithoutNoBan_PeerCanBeBanned()
    {
        _policy.AddWhitelist(IpRange.FromAddress(_peer), WhitelistSource.Config, "cfg", PeerPermissions.PrioritySync);
        Ordinary();
        Ordinary();
        Assert.Equal(ViolationAction.Banned, Ordinary().Action);
    }

    [Fact]
    public void RecordViolation_MappedAndPlainAddress_CountTogether()
    {
        _policy.RecordViolation(Ip("::ffff:203.0.113.7"), ViolationKind.MalformedMessage, "a");
        _policy.RecordViolation(Ip("203.0.113.7"), ViolationKind.MalformedMessage, "b");
        Assert.Equal(ViolationAction.Banned, _policy.RecordViolation(Ip("::ffff:203.0.113.7"), ViolationKind.MalformedMessage, "c").Action);
        Assert.True(_policy.IsBanned(Ip("203.0.113.7")));
    }

    [Fact]
    public void RecordViolation_OtherAddresses_CountedSeparately()
    {
        Ordinary();
        Ordinary();
        Assert.Equal(ViolationAction.Ignored, _policy.RecordViolation(Ip("203.0.113.8"), ViolationKind.MalformedMessage, "x").Action);
    }

    [Fact]
    public void RecordViolation_CustomThresholds_Honoured()
    {
        var policy = NewPolicy(_clock, new PeerPolicyOptions
        {
            ShortBanThreshold = 2, ShortBanDuration = TimeSpan.FromMinutes(1),
            LongBanThreshold = 4, PermanentBanThreshold = 6,
        });
        policy.RecordViolation(_peer, ViolationKind.InvalidBlock, "x");
        var outcome = policy.RecordViolation(_peer, ViolationKind.InvalidBlock, "x");
        Assert.Equal(Start + TimeSpan.FromMinutes(1), outcome.BannedUntil);
    }

    [Fact]
    public void RecordViolation_WhileLongerBanActive_DoesNotShortenIt()
    {
        for (var i = 0; i < 5; i++)
            Ordinary();
        _clock.Advance(TimeSpan.FromMinutes(10));
        _policy.Unban(IpRange.FromAddress(_peer));
        _policy.Ban(IpRange.FromAddress(_peer), TimeSpan.FromHours(2), "long", BanSource.Automatic);
        Ordinary();
        Ordinary();

        var outcome = Ordinary();

        Assert.Equal(ViolationAction.Banned, outcome.Action);
        Assert.Equal(Start + TimeSpan.FromMinutes(10) + TimeSpan.FromHours(2), outcome.BannedUntil);
    }

    [Fact]
    public void Unban_AutomaticallyBannedPeer_StartsFromZero()
    {
        for (var i = 0; i < 5; i++)
            Ordinary();

        Assert.True(_policy.Unban(IpRange.FromAddress(_peer)));

        Assert.False(_policy.IsBanned(_peer));
        Assert.Equal(ViolationAction.Ignored, Ordinary().Action);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => NewPolicy(_clock, new PeerPolicyOptions { LongBanThreshold = 2 }));
        Assert.Contains(nameof(PeerPolicyOptions.LongBanThreshold), ex.Message);
    }
}
