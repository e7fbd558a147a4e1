using System.Text.Json;
using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyAuditAndSnapshotTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = NewClock();
    private readonly PeerPolicy _policy;
    private readonly List<AuditRecord> _published = [];

    public PeerPolicyAuditAndSnapshotTests()
    {
        _policy = NewPolicy(_clock);
        _policy.AuditRecorded += (_, record) => _published.Add(record);
    }

    [Fact]
    public void AddAndRemoveWhitelist_EachProducesAuditRecordWithSourceRangeReasonAndTime()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Rpc, "lan");
        _clock.Advance(TimeSpan.FromMinutes(1));
        _policy.RemoveWhitelist(Range("10.0.0.0/8"), WhitelistSource.Rpc, "no longer needed");

        Assert.Equal(2, _published.Count);
        var added = _published[0];
        Assert.Equal((Start, AuditSource.Rpc, AuditAction.WhitelistAdded, Range("10.0.0.0/8")), (added.At, added.Source, added.Action, added.Range));
        Assert.Contains("lan", added.Reason);
        var removed = _published[1];
        Assert.Equal((Start.AddMinutes(1), AuditAction.WhitelistRemoved, "no longer needed"), (removed.At, removed.Action, removed.Reason));
    }

    [Fact]
    public void BanUnbanAndAutomaticBan_ProduceAuditRecords()
    {
        _policy.Ban(Range("1.1.1.1"), null, "abuse", BanSource.Rpc);
        _policy.Unban(Range("1.1.1.1"), BanSource.Rpc, "forgiven");
        for (var i = 0; i < 3; i++)
            _policy.RecordViolation(Ip("2.2.2.2"), ViolationKind.MalformedMessage, "junk");

        Assert.Equal(
            [(AuditSource.Rpc, AuditAction.Banned, "1.1.1.1"), (AuditSource.Rpc, AuditAction.Unbanned, "1.1.1.1"), (AuditSource.Automatic, AuditAction.Banned, "2.2.2.2")],
            _published.Select(r => (r.Source, r.Action, r.Range.ToString())));
    }

    [Fact]
    public void ReplaceWhitelist_AuditsAddedRemovedAndDropped()
    {
        var policy = NewPolicy(_clock, new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 1 });
        policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1")], "api");
        policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("2.2.2.2"), Range("3.3.3.3")], "api");

        Assert.Equal(
            [(AuditAction.WhitelistAdded, "1.1.1.1"), (AuditAction.WhitelistRemoved, "1.1.1.1"), (AuditAction.WhitelistAdded, "2.2.2.2"), (AuditAction.WhitelistDropped, "3.3.3.3")],
            policy.RecentAudit().Select(r => (r.Action, r.Range.ToString())));
        Assert.All(policy.RecentAudit(), r => Assert.Equal(AuditSource.Discovery, r.Source));
    }

    [Fact]
    public void UnchangedReAdd_ProducesNoAuditRecord()
    {
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Discovery, "api");
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Discovery, "api");
        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1")], "api");
        Assert.Single(_published);
    }

    [Fact]
    public void RecentAudit_BoundedToHistorySize_KeepsNewest()
    {
        var policy = NewPolicy(_clock, new PeerPolicyOptions { AuditHistorySize = 3 });
        for (var i = 1; i <= 5; i++)
            policy.Ban(Range($"1.1.1.{i}"), null, "x", BanSource.Rpc);
        Assert.Equal(["1.1.1.3", "1.1.1.4", "1.1.1.5"], policy.RecentAudit().Select(r => r.Range.ToString()));
    }

    [Fact]
    public void AuditRecorded_HandlerThrows_PolicyStillChanged()
    {
        _policy.AuditRecorded += (_, _) => throw new InvalidOperationException("disk full");
        _policy.Ban(Range("1.1.1.1"), null, "x", BanSource.Rpc);
        Assert.True(_policy.IsBanned(Ip("1.1.1.1")));
    }

    private PeerPolicy PopulatedPolicy()
    {
        _policy.AddWhitelist(Range("10.0.0.0/8"), WhitelistSource.Config, "lan", PeerPermissions.NoBan | PeerPermissions.PrioritySync);
        _policy.ReplaceWhitelist(WhitelistSource.Discovery, [Range("1.1.1.1"), Range("2001:db8::1")], "api");
        _policy.AddWhitelist(Range("1.1.1.1"), WhitelistSource.Masternode, "mn");
        _policy.Ban(Range("198.51.100.0/24"), null, "config", BanSource.Config);
        _policy.Ban(Range("203.0.113.9"), TimeSpan.FromHours(2), "rpc", BanSource.Rpc);
        _policy.RecordViolation(Ip("192.0.2.1"), ViolationKind.UnrequestedData, "x");
        _policy.RecordViolation(Ip("192.0.2.1"), ViolationKind.UnrequestedData, "x");
        _clock.Advance(TimeSpan.FromMinutes(3));
        return _policy;
    }

    private static void AssertSnapshotsEqual(PeerPolicySnapshot expected, PeerPolicySnapshot actual)
    {
        Assert.Equal(expected.Whitelist, actual.Whitelist);
        Assert.Equal(expected.Bans, actual.Bans);
        Assert.Equal(expected.Violations, actual.Violations);
    }

    [Fact]
    public void Restore_FromSnapshot_RebuildsEqualPolicy()
    {
        var original = PopulatedPolicy();
        var snapshot = original.Snapshot();

        var restored = NewPolicy(_clock);
        restored.Restore(snapshot);

        AssertSnapshotsEqual(snapshot, restored.Snapshot());
        Assert.True(restored.IsBanned(Ip("198.51.100.7")));
        Assert.Equal(PeerPermissions.NoBan | PeerPermissions.PrioritySync, restored.GetPermissions(Ip("10.1.1.1")));
        Assert.Equal(3, restored.AutomaticWhitelistCount);
        Assert.Empty(restored.RecentAudit());
        Assert.Equal(ViolationAction.Banned, restored.RecordViolation(Ip("192.0.2.1"), ViolationKind.UnrequestedData, "x").Action);
    }

    [Fact]
    public void Snapshot_ThroughJson_RoundTripsToEqualPolicy()
    {
        var snapshot = PopulatedPolicy().Snapshot();

        var json = JsonSerializer.Serialize(snapshot);
        var parsed = JsonSerializer.Deserialize<PeerPolicySnapshot>(json)!;
        var restored = NewPolicy(_clock);
        restored.Restore(parsed);

        Assert.Contains("\"10.0.0.0/8\"", json);
        Assert.Contains("\"192.0.2.1\"", json);
        AssertSnapshotsEqual(snapshot, restored.Snapshot());
    }

    [Fact]
    public void Restore_ExpiredBansInSnapshot_AreNotRestored()
    {
        var snapshot = PopulatedPolicy().Snapshot();
        _clock.Advance(TimeSpan.FromHours(3));

        var restored = NewPolicy(_clock);
        restored.Restore(snapshot);

        Assert.False(restored.IsBanned(Ip("203.0.113.9")));
        Assert.True(restored.IsBanned(Ip("198.51.100.1")));
    }

    [Fact]
    public void Restore_ReplacesExistingState()
    {
        var snapshot = PopulatedPolicy().Snapshot();
        var other = NewPolicy(_clock);
        other.Ban(Range("5.5.5.5"), null, "x", BanSource.Rpc);
        other.AddWhitelist(Range("6.6.6.6"), WhitelistSource.Rpc, "x");

        other.Restore(snapshot);

        Assert.False(other.IsBanned(Ip("5.5.5.5")));
        Assert.False(other.IsWhitelisted(Ip("6.6.6.6")));
    }

    [Fact]
    public void Restore_AutomaticEntryWithNoBan_ThrowsAndKeepsState()
    {
        _policy.Ban(Range("5.5.5.5"), null, "x", BanSource.Rpc);
        var bad = new PeerPolicySnapshot(Start, [new WhitelistEntry(Range("1.1.1.1"), WhitelistSource.Discovery, PeerPermissions.All, "x", Start)], [], []);

        Assert.Throws<ArgumentException>(() => _policy.Restore(bad));
        Assert.True(_policy.IsBanned(Ip("5.5.5.5")));
    }

    [Fact]
    public void Snapshot_QuietViolationCountersAndExpiredBans_Omitted()
    {
        PopulatedPolicy();
        _clock.Advance(TimeSpan.FromHours(3));
        var snapshot = _policy.Snapshot();
        Assert.Empty(snapshot.Violations);
        Assert.Equal(["198.51.100.0/24"], snapshot.Bans.Select(b => b.Range.ToString()));
    }
}
