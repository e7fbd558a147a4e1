using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyBanTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = NewClock();
    private readonly PeerPolicy _policy;

    public PeerPolicyBanTests() => _policy = NewPolicy(_clock);

    private void BanAutomatically(string ip)
    {
        for (var i = 0; i < 3; i++)
            _policy.RecordViolation(Ip(ip), ViolationKind.MalformedMessage, "bad frame");
        Assert.True(_policy.IsBanned(Ip(ip)));
    }

    [Fact]
    public void Ban_Permanent_AppliesToWholeRangeForever()
    {
        Assert.True(_policy.Ban(Range("198.51.100.0/24"), null, "blacklisted_peers", BanSource.Config));
        _clock.Advance(TimeSpan.FromDays(1000));
        Assert.True(_policy.IsBanned(Ip("198.51.100.9")));
        Assert.False(_policy.IsBanned(Ip("198.51.101.9")));
    }

    [Fact]
    public void Ban_Timed_ExpiresByTheClock()
    {
        _policy.Ban(Range("2001:db8::/32"), TimeSpan.FromMinutes(30), "rpc", BanSource.Rpc);
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.True(_policy.IsBanned(Ip("2001:db8::5")));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(_policy.IsBanned(Ip("2001:db8::5")));
        Assert.Null(_policy.GetBan(Ip("2001:db8::5")));
    }

    [Fact]
    public void Ban_NonPositiveDuration_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _policy.Ban(Range("1.2.3.4"), TimeSpan.Zero, "x", BanSource.Rpc));

    [Fact]
    public void Ban_DurationEndingPastTheLastDate_EndsAtTheLastDate()
    {
        Assert.True(_policy.Ban(Range("1.2.3.4"), TimeSpan.MaxValue, "very long", BanSource.Rpc));
        Assert.Equal(DateTimeOffset.MaxValue, _policy.GetBan(Ip("1.2.3.4"))!.Until);
        Assert.True(_policy.IsBanned(Ip("1.2.3.4")));
    }

    [Fact]
    public void Unban_RemovesBan_AndReturnsFalseWhenNone()
    {
        _policy.Ban(Range("1.2.3.4"), null, "x", BanSource.Rpc);
        Assert.True(_policy.Unban(Range("1.2.3.4")));
        Assert.False(_policy.IsBanned(Ip("1.2.3.4")));
        Assert.False(_policy.Unban(Range("1.2.3.4")));
    }

    [Fact]
    public void GetBan_SeveralBansCover_ReturnsLongestLasting()
    {
        _policy.Ban(Range("10.0.0.0/8"), TimeSpan.FromHours(1), "short", BanSource.Rpc);
        _policy.Ban(Range("10.1.0.0/16"), null, "forever", BanSource.Config);
        Assert.Equal("forever", _policy.GetBan(Ip("10.1.2.3"))!.Reason);
        Assert.Equal("short", _policy.GetBan(Ip("10.2.2.3"))!.Reason);
    }

    [Fact]
    public void ListBans_ShowsOnlyActiveBansInOrder()
    {
        _policy.Ban(Range("2.2.2.2"), TimeSpan.FromMinutes(1), "soon over", BanSource.Rpc);
        _policy.Ban(Range("1.1.1.1"), null, "forever", BanSource.Rpc);
        Assert.Equal(["1.1.1.1", "2.2.2.2"], _policy.ListBans().Select(b => b.Range.ToString()));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["1.1.1.1"], _policy.ListBans().Select(b => b.Range.ToString()));
    }

    // --- config and rpc bans on the same range coexist

    [Fact]
    public void ReplaceBansConfig_ListedThenUnlisted_KeepsRpcBanOnSameRange()
    {
        var range = Range("203.0.113.9");
        _policy.Ban(range, null, "x", BanSource.Rpc);
        _policy.ReplaceBans(BanSource.Config, [range], "config blacklisted_peers");
        _policy.ReplaceBans(BanSource.Config, [], "config blacklisted_peers");

        Assert.True(_policy.IsBanned(Ip("203.0.113.9")));
        var ban = Assert.Single(_policy.ListBans());
        Assert.Equal((BanSource.Rpc, "x", true), (ban.Source, ban.Reason, ban.IsPermanent));
    }

    [Fact]
    public void BanRpc_ShortBanOnConfigBannedRange_ConfigBanStays()
    {
        _policy.ReplaceBans(BanSource.Config, [Range("203.0.113.0/24")], "config blacklisted_peers");
        _policy.Ban(Range("203.0.113.0/24"), TimeSpan.FromSeconds(2), "short", BanSource.Rpc);

        Assert.Equal([BanSource.Config, BanSource.Rpc], _policy.ListBans().Select(b => b.Source));
        Assert.True(_policy.GetBan(Ip("203.0.113.9"))!.IsPermanent);
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.True(_policy.IsBanned(Ip("203.0.113.9")));
        Assert.Equal(BanSource.Config, Assert.Single(_policy.ListBans()).Source);
    }

    [Fact]
    public void UnbanRpc_RefusedBecauseOnlyAConfigBanRemains_KeepsTheViolationScores()
    {
        _policy.ReplaceBans(BanSource.Config, [Range("198.51.100.0/24")], "config blacklisted_peers");
        _policy.RecordViolation(Ip("198.51.100.7"), ViolationKind.MalformedMessage, "bad frame");
        int score = _policy.GetViolationScore(Ip("198.51.100.7"));
        Assert.True(score > 0);

        Assert.False(_policy.Unban(Range("198.51.100.0/24"), BanSource.Rpc, "unbanned over rpc"));

        Assert.Equal(score, _policy.GetViolationScore(Ip("198.51.100.7")));
    }

    [Fact]
    public void UnbanRpc_NothingBanned_ForgetsTheViolationScores()
    {
        _policy.RecordViolation(Ip("198.51.100.7"), ViolationKind.MalformedMessage, "bad frame");
        Assert.False(_policy.Unban(Range("198.51.100.0/24"), BanSource.Rpc, "forgive"));
        Assert.Equal(0, _policy.GetViolationScore(Ip("198.51.100.7")));
    }

    [Fact]
    public void UnbanRpc_LiftsOnlyNonConfigBans()
    {
        _policy.ReplaceBans(BanSource.Config, [Range("198.51.100.0/24")], "config blacklisted_peers");
        Assert.False(_policy.Unban(Range("198.51.100.0/24"), BanSource.Rpc, "unbanned over rpc"));
        Assert.True(_policy.IsBanned(Ip("198.51.100.1")));

        _policy.Ban(Range("198.51.100.0/24"), null, "operator", BanSource.Rpc);
        Assert.True(_policy.Unban(Range("198.51.100.0/24"), BanSource.Rpc, "unbanned over rpc"));
        Assert.True(_policy.IsBanned(Ip("198.51.100.1")));
        Assert.Equal(BanSource.Config, Assert.Single(_policy.ListBans()).Source);
    }

    [Fact]
    public void UnbanConfig_LiftsOnlyTheConfigBan()
    {
        BanAutomatically("198.51.100.7");
        _policy.ReplaceBans(BanSource.Config, [Range("198.51.100.7")], "config blacklisted_peers");
        Assert.Equal([BanSource.Config, BanSource.Automatic], _policy.ListBans().Select(b => b.Source));
        Assert.True(_policy.Unban(Range("198.51.100.7"), BanSource.Config, "line removed"));
        Assert.Equal(BanSource.Automatic, _policy.GetBan(Ip("198.51.100.7"))!.Source);
    }

    [Fact]
    public void BanRpc_ReplacesAutomaticBanOnSameRange()
    {
        BanAutomatically("10.0.0.5");
        _policy.Ban(Range("10.0.0.5"), TimeSpan.FromSeconds(1), "operator forgives soon", BanSource.Rpc);
        Assert.Equal(BanSource.Rpc, Assert.Single(_policy.ListBans()).Source);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_policy.IsBanned(Ip("10.0.0.5")));
    }

    [Fact]
    public void SnapshotRestore_KeepsConfigAndRpcBansOnSameRange()
    {
        _policy.ReplaceBans(BanSource.Config, [Range("203.0.113.9")], "config blacklisted_peers");
        _policy.Ban(Range("203.0.113.9"), TimeSpan.FromHours(1), "rpc", BanSource.Rpc);
        var restored = NewPolicy(_clock);
        restored.Restore(_policy.Snapshot());
        Assert.Equal(_policy.ListBans(), restored.ListBans());
        Assert.Equal(2, restored.ListBans().Count);
    }

    // --- precedence: manual ban vs automatic whitelist

    [Theory]
    [InlineData(WhitelistSource.Discovery)]
    [InlineData(WhitelistSource.Masternode)]
    public void IsBanned_ManualBanOnAutomaticallyWhitelistedAddress_BanWins(WhitelistSource source)
    {
        _policy.AddWhitelist(Range("1.2.3.4"), source, "auto");
        _policy.Ban(Range("1.2.3.0/24"), null, "operator", BanSource.Rpc);

        Assert.True(_policy.IsBanned(Ip("1.2.3.4")));
        Assert.Equal(AdmissionRejectReason.Banned, _policy.EvaluateInbound(Ip("1.2.3.4"), []).RejectReason);
    }

    [Fact]
    public void AddWhitelist_DiscoveryAfterManualBan_DoesNotLiftIt()
    {
        _policy.Ban(Range("1.2.3.4"), null, "operator", BanSource.Config);
        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.2.3.4")], "api");
        Assert.True(_policy.IsBanned(Ip("1.2.3.4")));
    }

    // --- precedence: manual whitelist vs automatic ban

    [Theory]
    [InlineData(WhitelistSource.Config)]
    [InlineData(WhitelistSource.Rpc)]
    public void AddWhitelist_ManualEntry_LiftsAutomaticBansInItsRange(WhitelistSource source)
    {
        BanAutomatically("10.0.0.5");
        BanAutomatically("11.0.0.5");

        _policy.AddWhitelist(Range("10.0.0.0/24"), source, "trusted lan");

        Assert.False(_policy.IsBanned(Ip("10.0.0.5")));
        Assert.True(_policy.IsBanned(Ip("11.0.0.5")));
        Assert.Contains(_policy.RecentAudit(), r => r.Action == AuditAction.BanLifted && r.Range == Range("10.0.0.5"));
    }

    [Fact]
    public void RemoveWhitelist_AfterLiftingAutomaticBan_BanDoesNotReturnAndScoreRestarts()
    {
        BanAutomatically("10.0.0.5");
        _policy.AddWhitelist(Range("10.0.0.5"), WhitelistSource.Rpc, "trusted");
        _policy.RemoveWhitelist(Range("10.0.0.5"), WhitelistSource.Rpc);

        Assert.False(_policy.IsBanned(Ip("10.0.0.5")));
        Assert.Equal(ViolationAction.Ignored, _policy.RecordViolation(Ip("10.0.0.5"), ViolationKind.MalformedMessage, "x").Action);
    }

    [Fact]
    public void Ban_AutomaticInsideManualNoBanRange_Refused()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan");
        Assert.False(_policy.Ban(Range("10.1.1.1"), TimeSpan.FromHours(1), "auto", BanSource.Automatic));
        Assert.False(_policy.IsBanned(Ip("10.1.1.1")));
    }

    [Fact]
    public void AddWhitelist_ManualWithoutNoBan_DoesNotLiftAutomaticBan()
    {
        BanAutomatically("10.0.0.5");
        _policy.AddWhitelist(Range("10.0.0.5"), WhitelistSource.Config, "sync only", PeerPermissions.PrioritySync);
        Assert.True(_policy.IsBanned(Ip("10.0.0.5")));
    }

    [Fact]
    public void Ban_AutomaticNeverReplacesManualBan()
    {
        _policy.Ban(Range("1.2.3.4"), null, "operator", BanSource.Rpc);
        Assert.False(_policy.Ban(Range("1.2.3.4"), TimeSpan.FromMinutes(5), "auto", BanSource.Automatic));
        Assert.True(_policy.GetBan(Ip("1.2.3.4"))!.IsPermanent);
    }

    // --- precedence: manual ban vs manual whitelist (our choice: the ban wins, even over no-ban)

    [Fact]
    public void IsBanned_ManualBanAndManualNoBanWhitelistSameRange_BanWins()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan");
        _policy.Ban(Range("10.0.0.0/8"), null, "operator changed mind", BanSource.Rpc);

        Assert.True(_policy.IsBanned(Ip("10.0.0.1")));
        Assert.True(_policy.IsWhitelisted(Ip("10.0.0.1")));
        Assert.Equal(AdmissionRejectReason.Banned, _policy.EvaluateInbound(Ip("10.0.0.1"), []).RejectReason);
    }

    [Fact]
    public void AddWhitelist_ManualAfterManualBan_DoesNotLiftManualBan()
    {
        _policy.Ban(Range("10.1.2.3"), null, "abuse", BanSource.Rpc);
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Rpc, "lan");
        Assert.True(_policy.IsBanned(Ip("10.1.2.3")));
        Assert.False(_policy.IsBanned(Ip("10.1.2.4")));
    }
}
