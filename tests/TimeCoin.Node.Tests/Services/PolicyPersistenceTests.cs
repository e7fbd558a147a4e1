using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Policy;
using TimeCoin.Node.Services;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Services;

public sealed class PolicyPersistenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private PeerPolicy NewPolicy() => new(new PeerPolicyOptions(), _clock);

    [Fact]
    public void Start_AfterReopen_RestoresWhitelistBansAndKeepsAuditRows()
    {
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            Assert.False(persistence.Start());
            policy.AddWhitelist(IpRange.Parse("10.0.0.0/8"), WhitelistSource.Rpc, "lan", PeerPermissions.NoBan | PeerPermissions.PrioritySync);
            policy.Ban(IpRange.Parse("203.0.113.7"), TimeSpan.FromHours(1), "spam", BanSource.Rpc);
            policy.Ban(IpRange.Parse("198.51.100.0/24"), null, "hostile", BanSource.Rpc);
        }

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        using var restored = new PolicyPersistence(restoredPolicy, reopened, _clock);

        Assert.True(restored.Start());
        var entry = Assert.Single(restoredPolicy.ListWhitelist());
        Assert.Equal((IpRange.Parse("10.0.0.0/8"), WhitelistSource.Rpc, PeerPermissions.NoBan | PeerPermissions.PrioritySync, "lan"),
            (entry.Range, entry.Source, entry.Permissions, entry.Reason));
        Assert.True(restoredPolicy.IsBanned(IPAddress.Parse("203.0.113.7")));
        Assert.True(restoredPolicy.IsBanned(IPAddress.Parse("198.51.100.99")));
        Assert.Null(restoredPolicy.GetBan(IPAddress.Parse("198.51.100.99"))!.Until);
        var audit = reopened.LoadAudit(10);
        Assert.Equal(["ban", "ban", "whitelist-add"], audit.Select(r => r.Action));
        Assert.Equal(("rpc", "10.0.0.0/8"), (audit[2].Source, audit[2].Subject));
        Assert.StartsWith("lan", audit[2].Reason);
    }

    [Fact]
    public void Start_AfterRemovalAndUnban_RestoresTheLaterState()
    {
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.AddWhitelist(IpRange.Parse("10.0.0.1"), WhitelistSource.Rpc, "a");
            policy.Ban(IpRange.Parse("203.0.113.7"), null, "b", BanSource.Rpc);
            policy.RemoveWhitelist(IpRange.Parse("10.0.0.1"), WhitelistSource.Rpc);
            policy.Unban(IpRange.Parse("203.0.113.7"));
        }

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        new PolicyPersistence(restoredPolicy, reopened, _clock).Start();

        Assert.Empty(restoredPolicy.ListWhitelist());
        Assert.Empty(restoredPolicy.ListBans());
        Assert.Equal(["unban", "whitelist-remove", "ban", "whitelist-add"], reopened.LoadAudit(10).Select(r => r.Action));
    }

    [Fact]
    public void Start_BanExpiredWhileStopped_IsNotRestored()
    {
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.Ban(IpRange.Parse("203.0.113.7"), TimeSpan.FromMinutes(10), "short", BanSource.Rpc);
        }
        _clock.Advance(TimeSpan.FromMinutes(11));

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        new PolicyPersistence(restoredPolicy, reopened, _clock).Start();

        Assert.False(restoredPolicy.IsBanned(IPAddress.Parse("203.0.113.7")));
    }

    [Fact]
    public void Start_CorruptDocument_StartsEmptyAndOverwritesItOnTheNextChange()
    {
        using var db = NodeDatabase.Open(_dir.Path);
        db.SaveDocument(PolicyPersistence.DocumentName, "{ not json", _clock.GetUtcNow());
        var policy = NewPolicy();
        using var persistence = new PolicyPersistence(policy, db, _clock);

        Assert.False(persistence.Start());
        Assert.Empty(policy.ListWhitelist());

        policy.Ban(IpRange.Parse("203.0.113.7"), null, "x", BanSource.Rpc);
        var again = NewPolicy();
        Assert.True(new PolicyPersistence(again, db, _clock).Start());
        Assert.True(again.IsBanned(IPAddress.Parse("203.0.113.7")));
    }

    [Fact]
    public void Dispose_StopsSavingChanges()
    {
        using var db = NodeDatabase.Open(_dir.Path);
        var policy = NewPolicy();
        var persistence = new PolicyPersistence(policy, db, _clock);
        persistence.Start();
        persistence.Dispose();

        policy.Ban(IpRange.Parse("203.0.113.7"), null, "x", BanSource.Rpc);

        Assert.Empty(db.LoadAudit(10));
        // The stop saved the policy as it was then (no ban); the ban after it is not saved.
        var restored = NewPolicy();
        Assert.True(new PolicyPersistence(restored, db, _clock).Start());
        Assert.Empty(restored.ListBans());
    }

    [Fact]
    public void Save_EveryKindOfEntry_WritesTheFormatOfTheReflectionSerializerAndReadsItBack()
    {
        // Documents saved before the source-generated serializer were written by the reflection serializer with a
        // string-enum converter: the saved text must stay the same, so old and new versions read each other's.
        var reflection = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        string saved;
        PeerPolicySnapshot expected;
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.AddWhitelist(IpRange.Parse("10.0.0.0/8"), WhitelistSource.Rpc, "lan", PeerPermissions.NoBan | PeerPermissions.PrioritySync);
            policy.AddWhitelist(IpRange.Parse("2001:db8::1"), WhitelistSource.Config, "v6");
            policy.Ban(IpRange.Parse("203.0.113.7"), TimeSpan.FromHours(1), "spam", BanSource.Rpc);
            policy.Ban(IpRange.Parse("198.51.100.0/24"), null, "hostile", BanSource.Rpc);
            policy.RecordViolation(IPAddress.Parse("192.0.2.9"), ViolationKind.MalformedMessage, "bad frame");
            persistence.Save();
            expected = policy.Snapshot();
            saved = db.LoadDocument(PolicyPersistence.DocumentName)!;
        }

        Assert.Equal(JsonSerializer.Serialize(expected, reflection), saved);
        Assert.Contains("\"NoBan, PrioritySync\"", saved, StringComparison.Ordinal);
        Assert.NotEmpty(expected.Violations);
        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        using var restored = new PolicyPersistence(restoredPolicy, reopened, _clock);
        Assert.True(restored.Start());
        Assert.Equal(JsonSerializer.Serialize(expected, reflection), JsonSerializer.Serialize(restoredPolicy.Snapshot() with { TakenAt = expected.TakenAt }, reflection));
    }

    [Fact]
    public void Restarts_RpcBanListedInBlacklistForOneRunThenUnlisted_RpcBanSurvives()
    {
        var range = IpRange.Parse("203.0.113.9");
        void Run(IReadOnlyList<IpRange> blacklist, Action<PeerPolicy>? then = null)
        {
            using var db = NodeDatabase.Open(_dir.Path);
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.ReplaceBans(BanSource.Config, blacklist, "config blacklisted_peers"); // what the connection manager does at start
            then?.Invoke(policy);
            persistence.Save();
        }

        Run([], policy => policy.Ban(range, null, "operator", BanSource.Rpc));
        Run([range]);
        Run([]);

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        using var restored = new PolicyPersistence(restoredPolicy, reopened, _clock);
        restored.Start();
        var ban = Assert.Single(restoredPolicy.ListBans());
        Assert.Equal((BanSource.Rpc, "operator", true), (ban.Source, ban.Reason, ban.IsPermanent));
    }

    [Fact]
    public void Save_ConfigAndRpcBanOnSameRange_BothRestored()
    {
        var range = IpRange.Parse("198.51.100.0/24");
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.ReplaceBans(BanSource.Config, [range], "config blacklisted_peers");
            policy.Ban(range, TimeSpan.FromHours(1), "spam", BanSource.Rpc);
            persistence.Save();
        }

        using var reopened = NodeDatabase.Open(_dir.Path);
        var restoredPolicy = NewPolicy();
        using var restored = new PolicyPersistence(restoredPolicy, reopened, _clock);
        restored.Start();
        Assert.Equal([BanSource.Config, BanSource.Rpc], restoredPolicy.ListBans().Select(b => b.Source));
    }

    private int SavedScore(NodeDatabase db, IPAddress address)
    {
        var policy = NewPolicy();
        new PolicyPersistence(policy, db, _clock).Start();
        return policy.Snapshot().Violations.SingleOrDefault(v => v.Address.Equals(address))?.Score ?? 0;
    }

    [Fact]
    public void ViolationScoreChange_IsSavedAfterTheDelayTogetherWithLaterOnes()
    {
        var liar = IPAddress.Parse("203.0.113.9");
        using var db = NodeDatabase.Open(_dir.Path);
        var policy = NewPolicy();
        using var persistence = new PolicyPersistence(policy, db, _clock);
        persistence.Start();

        policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "first");
        _clock.Advance(PolicyPersistence.ViolationSaveDelay / 2);
        policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "second");
        Assert.Equal(0, SavedScore(db, liar)); // not yet: changes are gathered for the delay

        _clock.Advance(PolicyPersistence.ViolationSaveDelay / 2);
        Assert.Equal(2, SavedScore(db, liar));
    }

    [Fact]
    public void Dispose_SavesViolationScoresNotSavedYet()
    {
        var liar = IPAddress.Parse("203.0.113.9");
        using (var db = NodeDatabase.Open(_dir.Path))
        {
            var policy = NewPolicy();
            using var persistence = new PolicyPersistence(policy, db, _clock);
            persistence.Start();
            policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "first");
        }

        using var reopened = NodeDatabase.Open(_dir.Path);
        Assert.Equal(1, SavedScore(reopened, liar));
    }

    [Fact]
    public void Change_SnapshotSaveFails_TheAuditRowIsNotKeptEither()
    {
        using var db = NodeDatabase.Open(_dir.Path);
        var policy = NewPolicy();
        using var persistence = new PolicyPersistence(policy, db, _clock);
        persistence.Start();
        var failures = new List<Exception?>();
        persistence.SaveCompleted += failures.Add;
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TRIGGER test_fail BEFORE INSERT ON documents BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END;";
            command.ExecuteNonQuery();
        }

        policy.Ban(IpRange.Parse("203.0.113.7"), null, "x", BanSource.Rpc);

        Assert.NotNull(Assert.Single(failures));
        Assert.Empty(db.LoadAudit(10)); // the change and its snapshot are stored together or not at all
    }
}
