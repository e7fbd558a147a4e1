using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyWhitelistTests
{
    private readonly PeerPolicy _policy = NewPolicy(NewClock());

    [Fact]
    public void AddWhitelist_Range_WhitelistsEveryAddressInside()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan");
        Assert.True(_policy.IsWhitelisted(Ip("10.9.8.7")));
        Assert.True(_policy.IsWhitelisted(Ip("::ffff:10.9.8.7")));
        Assert.False(_policy.IsWhitelisted(Ip("11.0.0.1")));
        Assert.Equal(PeerPermissions.All, _policy.GetPermissions(Ip("10.9.8.7")));
        Assert.Equal(PeerPermissions.None, _policy.GetPermissions(Ip("11.0.0.1")));
    }

    [Fact]
    public void AddWhitelist_DiscoveryWithoutPermissions_GetsDefaultWithoutNoBan()
    {
        _policy.AddWhitelist(Range("1.2.3.4"), WhitelistSource.Discovery, "api");
        var permissions = _policy.GetPermissions(Ip("1.2.3.4"));
        Assert.Equal(PeerPermissions.LenientLiveness | PeerPermissions.PrioritySync | PeerPermissions.ReservedSlot, permissions);
    }

    [Theory]
    [InlineData(WhitelistSource.Discovery)]
    [InlineData(WhitelistSource.Masternode)]
    public void AddWhitelist_NoBanForAutomaticSource_Throws(WhitelistSource source)
    {
        var ex = Assert.Throws<ArgumentException>(() => _policy.AddWhitelist(Range("1.2.3.4"), source, "x", PeerPermissions.All));
        Assert.Contains("no-ban", ex.Message);
        Assert.False(_policy.IsWhitelisted(Ip("1.2.3.4")));
    }

    [Fact]
    public void AddWhitelist_NoPermissions_Throws() =>
        Assert.Throws<ArgumentException>(() => _policy.AddWhitelist(Range("1.2.3.4"), WhitelistSource.Rpc, "x", PeerPermissions.None));

    [Fact]
    public void GetPermissions_SeveralMatchingEntries_ReturnsUnion()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan", PeerPermissions.PrioritySync);
        _policy.AddWhitelist(Range("10.1.2.3"), WhitelistSource.Masternode, "mn", PeerPermissions.LenientLiveness);
        Assert.Equal(PeerPermissions.PrioritySync | PeerPermissions.LenientLiveness, _policy.GetPermissions(Ip("10.1.2.3")));
        Assert.Equal(PeerPermissions.PrioritySync, _policy.GetPermissions(Ip("10.1.2.4")));
    }

    [Fact]
    public void Lookups_AskedBetweenEveryKindOfWhitelistChange_EachAnswerReflectsTheWhitelistThen()
    {
        // The policy remembers what the whitelist says of an address it was asked about; every change must show at once.
        var address = Ip("10.1.2.3");
        var mapped = Ip("::ffff:10.1.2.3");
        long lastVersion = -1;
        WhitelistStanding? lastStanding = null;
        void Expect(PeerPermissions permissions, bool manual)
        {
            Assert.Equal(permissions, _policy.GetPermissions(address));
            Assert.Equal(permissions, _policy.GetPermissions(mapped));
            Assert.Equal(permissions != PeerPermissions.None, _policy.IsWhitelisted(address));
            Assert.Equal(manual, _policy.IsManuallyWhitelisted(address));
            Assert.Equal(manual, _policy.IsManuallyWhitelisted(mapped));
            var listed = _policy.ListWhitelist().Where(e => e.Range.Contains(address)).Aggregate(PeerPermissions.None, (all, e) => all | e.Permissions);
            Assert.Equal(permissions, listed);
            var standing = _policy.GetStanding(mapped);
            Assert.Equal(new WhitelistStanding(permissions, permissions != PeerPermissions.None, manual, _policy.WhitelistVersion), standing);
            Assert.True(standing.Version > lastVersion || standing == lastStanding, "a changed answer comes with a new version");
            lastVersion = standing.Version;
            lastStanding = standing;
        }

        Expect(PeerPermissions.None, manual: false);
        _policy.AddWhitelist(Range("10.1.2.3"), WhitelistSource.Masternode, "mn", PeerPermissions.LenientLiveness);
        Expect(PeerPermissions.LenientLiveness, manual: false);
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan", PeerPermissions.PrioritySync);
        Expect(PeerPermissions.LenientLiveness | PeerPermissions.PrioritySync, manual: true);
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan", PeerPermissions.ReservedSlot); // updated
        Expect(PeerPermissions.LenientLiveness | PeerPermissions.ReservedSlot, manual: true);
        Assert.True(_policy.RemoveWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config));
        Expect(PeerPermissions.LenientLiveness, manual: false);
        _policy.ReplaceWhitelist(WhitelistSource.Masternode, [Range("10.9.9.9")], "list");
        Expect(PeerPermissions.None, manual: false);
        Assert.True(_policy.IsWhitelisted(Ip("10.9.9.9")));

        var other = NewPolicy(NewClock());
        other.AddWhitelist(Range("10.1.2.3"), WhitelistSource.Rpc, "operator", PeerPermissions.NoBan);
        _policy.Restore(other.Snapshot());
        Expect(PeerPermissions.NoBan, manual: true);
        Assert.False(_policy.IsWhitelisted(Ip("10.9.9.9")));

        Assert.False(_policy.IsWhitelisted(Ip("2001:db8::1")));
        _policy.AddWhitelist(Range("2001:db8::/32"), WhitelistSource.Config, "v6 lan", PeerPermissions.PrioritySync);
        Assert.Equal(PeerPermissions.PrioritySync, _policy.GetPermissions(Ip("2001:db8::1")));
        Assert.True(_policy.IsManuallyWhitelisted(Ip("2001:db8::1")));
        Assert.False(_policy.IsWhitelisted(Ip("2001:db9::1")));
        Expect(PeerPermissions.NoBan, manual: true); // the IPv4 address is unaffected
    }

    [Fact]
    public void RemoveWhitelist_RpcEntry_KeepsDiscoveryEntryForSameIp()
    {
        var range = Range("1.2.3.4");
        _policy.AddWhitelist(range, WhitelistSource.Rpc, "operator");
        _policy.AddWhitelist(range, WhitelistSource.Discovery, "api");

        Assert.True(_policy.RemoveWhitelist(range, WhitelistSource.Rpc));

        Assert.True(_policy.IsWhitelisted(Ip("1.2.3.4")));
        var entry = Assert.Single(_policy.ListWhitelist());
        Assert.Equal(WhitelistSource.Discovery, entry.Source);
        Assert.False(_policy.GetPermissions(Ip("1.2.3.4")).HasFlag(PeerPermissions.NoBan));
    }

    [Fact]
    public void RemoveWhitelist_NoEntryForThatSource_ReturnsFalse()
    {
        _policy.AddWhitelist(Range("1.2.3.4"), WhitelistSource.Discovery, "api");
        Assert.False(_policy.RemoveWhitelist(Range("1.2.3.4"), WhitelistSource.Rpc));
        Assert.True(_policy.IsWhitelisted(Ip("1.2.3.4")));
    }

    [Fact]
    public void AddWhitelist_SameRangeAndSourceTwice_KeepsOneEntryWithNewPermissionsAndFirstAddedAt()
    {
        var clock = NewClock();
        var policy = NewPolicy(clock);
        policy.AddWhitelist(Range("1.2.3.4"), WhitelistSource.Rpc, "first", PeerPermissions.NoBan);
        clock.Advance(TimeSpan.FromMinutes(1));
        policy.AddWhitelist(Range("1.2.3.4"), WhitelistSource.Rpc, "second", PeerPermissions.PrioritySync);

        var entry = Assert.Single(policy.ListWhitelist());
        Assert.Equal(PeerPermissions.PrioritySync, entry.Permissions);
        Assert.Equal("second", entry.Reason);
        Assert.Equal(Start, entry.AddedAt);
    }

    [Fact]
    public void ReplaceWhitelist_AddressLeftDiscovery_LosesItsEntry()
    {
        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("2.2.2.2")], "api");
        var report = _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("2.2.2.2"), Range("3.3.3.3")], "api");

        Assert.False(_policy.IsWhitelisted(Ip("1.1.1.1")));
        Assert.True(_policy.IsWhitelisted(Ip("2.2.2.2")));
        Assert.True(_policy.IsWhitelisted(Ip("3.3.3.3")));
        Assert.Equal([Range("3.3.3.3")], report.Added);
        Assert.Equal([Range("1.1.1.1")], report.Removed);
        Assert.Empty(report.DroppedByCap);
    }

    [Fact]
    public void ReplaceWhitelist_Discovery_LeavesOtherSourcesForSameIp()
    {
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Config, "cfg");
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Masternode, "mn");
        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1")], "api");

        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [], "api");

        Assert.Equal([WhitelistSource.Config, WhitelistSource.Masternode], _policy.ListWhitelist().Select(e => e.Source));
    }

    [Fact]
    public void ReplaceWhitelist_OverCap_StoresUpToCapAndReportsDropped()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 3 });
        var ranges = Enumerable.Range(1, 5).Select(i => Range($"10.0.0.{i}")).ToList();

        var report = policy.ReplaceWhitelist(WhitelistSource.Discovery, ranges, "api");

        Assert.Equal(ranges.Take(3), report.Added);
        Assert.Equal(ranges.Skip(3), report.DroppedByCap);
        Assert.Equal(3, policy.AutomaticWhitelistCount);
        Assert.False(policy.IsWhitelisted(Ip("10.0.0.5")));
    }

    [Fact]
    public void ReplaceWhitelist_MasternodeCapFull_DiscoveryEntriesStillFitTheirOwnCap()
    {
        // Issue 9, finding 3: masternode entries (which anyone able to make a key could try to cause) have a cap of
        // their own and never crowd out discovery entries.
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 3, MaxMasternodeWhitelistEntries = 2 });
        policy.AddWhitelist(Range("9.9.9.1"), WhitelistSource.Masternode, "mn");
        policy.AddWhitelist(Range("9.9.9.2"), WhitelistSource.Masternode, "mn");
        Assert.False(policy.AddWhitelist(Range("9.9.9.3"), WhitelistSource.Masternode, "mn"));

        var report = policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("2.2.2.2"), Range("3.3.3.3")], "api");

        Assert.Equal(3, report.Added.Count);
        Assert.Empty(report.DroppedByCap);
        Assert.True(policy.IsWhitelisted(Ip("9.9.9.1"))); // a full cap refuses newcomers, never removes an entry
        Assert.Equal(5, policy.AutomaticWhitelistCount);
    }

    [Fact]
    public void ReplaceWhitelist_AtCap_KeepsExistingEntriesBeforeNewOnes()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 2 });
        policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("2.2.2.2")], "api");

        var report = policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("3.3.3.3"), Range("2.2.2.2"), Range("1.1.1.1")], "api");

        Assert.Equal([Range("3.3.3.3")], report.DroppedByCap);
        Assert.True(policy.IsWhitelisted(Ip("1.1.1.1")));
        Assert.True(policy.IsWhitelisted(Ip("2.2.2.2")));
    }

    [Fact]
    public void ReplaceWhitelist_DepartedAddressesFreeCapForNewOnes()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 2 });
        policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("2.2.2.2")], "api");

        var report = policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("3.3.3.3"), Range("4.4.4.4")], "api");

        Assert.Empty(report.DroppedByCap);
        Assert.Equal(2, policy.AutomaticWhitelistCount);
    }

    [Fact]
    public void AddWhitelist_AutomaticAtCap_ReturnsFalseAndRecordsDrop()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxMasternodeWhitelistEntries = 1 });
        Assert.True(policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Masternode, "mn"));

        Assert.False(policy.AddWhitelist(Range("2.2.2.2"), WhitelistSource.Masternode, "mn"));

        Assert.False(policy.IsWhitelisted(Ip("2.2.2.2")));
        Assert.Contains(policy.RecentAudit(), r => r.Action == AuditAction.WhitelistDropped && r.Range == Range("2.2.2.2"));
    }

    [Fact]
    public void AddWhitelist_ManualSourcesAtAutomaticCap_NotCapped()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 0, MaxMasternodeWhitelistEntries = 0 });
        Assert.True(policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Config, "cfg"));
        Assert.True(policy.AddWhitelist(Range("2.2.2.2"), WhitelistSource.Rpc, "rpc"));
        Assert.Equal(2, policy.ListWhitelist().Count);
    }

    [Fact]
    public void ReplaceWhitelist_ConfigSpecs_AppliesEachLinesPermissions()
    {
        _policy.ReplaceWhitelistWithSpecs(WhitelistSource.Config, [WhitelistSpec.Parse("noban@10.0.0.0/8"), WhitelistSpec.Parse("1.2.3.4")], "config reload");

        Assert.Equal(PeerPermissions.NoBan, _policy.GetPermissions(Ip("10.0.0.1")));
        Assert.Equal(PeerPermissions.All, _policy.GetPermissions(Ip("1.2.3.4")));
    }

    [Fact]
    public void ReplaceWhitelist_DuplicateRanges_StoredOnce()
    {
        var report = _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("::ffff:1.1.1.1")], "api");
        Assert.Single(report.Added);
        Assert.Single(_policy.ListWhitelist());
    }

    [Fact]
    public void ListWhitelist_OrdersByRangeThenSource()
    {
        _policy.AddWhitelist(Range("2.2.2.2"), WhitelistSource.Rpc, "b");
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Masternode, "a");
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Config, "a");

        var list = _policy.ListWhitelist();

        Assert.Equal(["1.1.1.1 Config", "1.1.1.1 Masternode", "2.2.2.2 Rpc"], list.Select(e => $"{e.Range} {e.Source}"));
    }
}
