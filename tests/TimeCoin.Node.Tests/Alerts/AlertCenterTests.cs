using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Tests.Sync;

namespace TimeCoin.Node.Tests.Alerts;

public sealed class AlertCenterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingLogger<AlertCenter> _log = new();

    [Fact]
    public void Raise_Twice_LogsOnceAndKeepsSinceButUpdatesMessage()
    {
        var center = new AlertCenter(_time, _log);
        Assert.True(center.Raise(AlertCodes.SyncLag, "60 blocks behind"));
        var since = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.False(center.Raise(AlertCodes.SyncLag, "80 blocks behind"));

        var alert = Assert.Single(center.GetActive());
        Assert.Equal(("sync_lag", AlertLevel.Warning, "80 blocks behind", since, (string?)null), (alert.Code, alert.Level, alert.Message, alert.Since, alert.Subject));
        var entry = Assert.Single(_log.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("Alert raised: sync_lag", entry.Message);
    }

    [Fact]
    public void Clear_ActiveAlert_LogsOnceWithDurationAndResolution()
    {
        var center = new AlertCenter(_time, _log);
        center.Raise(AlertCodes.WhitelistedPeerDisconnected, "gone", "10.0.0.5");
        _time.Advance(TimeSpan.FromSeconds(42));

        Assert.True(center.Clear(AlertCodes.WhitelistedPeerDisconnected, "10.0.0.5", "reconnected"));
        Assert.False(center.Clear(AlertCodes.WhitelistedPeerDisconnected, "10.0.0.5", "reconnected"));

        Assert.Empty(center.GetActive());
        Assert.Equal(2, _log.Entries.Count);
        var (level, message) = _log.Entries.Last();
        Assert.Equal(LogLevel.Information, level);
        Assert.Equal("Alert cleared: whitelisted_peer_disconnected 10.0.0.5 after 42 s: reconnected", message);
        Assert.Equal(LogLevel.Critical, _log.Entries.First().Level);
    }

    [Fact]
    public void Raise_SameCodeDifferentSubjects_KeepsOneAlertEach()
    {
        var center = new AlertCenter(_time, _log);
        center.Raise(AlertCodes.WhitelistedPeerDisconnected, "a", "10.0.0.5");
        center.Raise(AlertCodes.WhitelistedPeerDisconnected, "b", "10.0.0.6");

        Assert.Equal(["10.0.0.5", "10.0.0.6"], center.GetActive().Select(a => a.Subject));
        Assert.True(center.IsActive(AlertCodes.WhitelistedPeerDisconnected));
        Assert.Equal(2, center.RaisedTotal(AlertCodes.WhitelistedPeerDisconnected));
    }

    [Fact]
    public void GetActive_MixedLevels_MostUrgentFirst()
    {
        var center = new AlertCenter(_time, _log);
        center.Raise(AlertCodes.SyncLag, "lag");
        _time.Advance(TimeSpan.FromSeconds(1));
        center.Raise(AlertCodes.WhitelistEmpty, "empty");
        _time.Advance(TimeSpan.FromSeconds(1));
        center.Raise(AlertCodes.NoWhitelistedPeerConnected, "none");

        Assert.Equal([AlertLevel.Critical, AlertLevel.Error, AlertLevel.Warning], center.GetActive().Select(a => a.Level));
    }

    [Fact]
    public void Reconcile_SetOfSubjects_RaisesNewClearsMissing()
    {
        var center = new AlertCenter(_time, _log);
        var changes = new List<AlertChange>();
        center.Changed += changes.Add;
        center.Reconcile(AlertCodes.ForkResolutionGaveUp, new Dictionary<string, string> { ["p1"] = "x", ["p2"] = "y" }, _ => "gone");
        center.Reconcile(AlertCodes.ForkResolutionGaveUp, new Dictionary<string, string> { ["p2"] = "y2" }, s => $"{s} retried");

        Assert.Equal("p2", Assert.Single(center.GetActive()).Subject);
        Assert.Equal("y2", center.GetActive()[0].Message);
        Assert.Equal([(true, "p1"), (true, "p2"), (false, "p1")], changes.Select(c => (c.IsActive, c.Alert.Subject!)));
        Assert.Equal("p1 retried", changes[^1].Resolution);
    }

    [Fact]
    public void GetHistory_RaisedUpdatedAndCleared_OneEntryPerChangeNewestFirst()
    {
        var center = new AlertCenter(_time, _log);
        var raisedAt = _time.GetUtcNow();
        center.Raise(AlertCodes.SyncLag, "60 blocks behind");
        _time.Advance(TimeSpan.FromSeconds(3));
        center.Raise(AlertCodes.SyncLag, "80 blocks behind"); // a message update is not a change
        _time.Advance(TimeSpan.FromSeconds(4));
        center.Clear(AlertCodes.SyncLag, null, "caught up");

        Assert.Empty(center.GetActive());
        var history = center.GetHistory();
        Assert.Equal(2, history.Count);
        var (cleared, raised) = (history[0], history[1]);
        Assert.Equal((false, raisedAt.AddSeconds(7), "caught up"), (cleared.IsActive, cleared.At, cleared.Resolution));
        Assert.Equal((true, raisedAt, (string?)null), (raised.IsActive, raised.At, raised.Resolution));
        Assert.Equal((AlertCodes.SyncLag, AlertLevel.Warning, raisedAt), (cleared.Alert.Code, cleared.Alert.Level, cleared.Alert.Since));
        Assert.Equal("80 blocks behind", cleared.Alert.Message);
        Assert.Equal("60 blocks behind", raised.Alert.Message);
    }

    [Fact]
    public void GetHistory_MoreChangesThanCapacity_KeepsTheNewest()
    {
        var center = new AlertCenter(_time, _log, historyCapacity: 3);
        for (int i = 0; i < 5; i++)
        {
            center.Raise(AlertCodes.ForkResolutionGaveUp, "gave up", $"p{i}");
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(["p4", "p3", "p2"], center.GetHistory().Select(c => c.Alert.Subject!));
        Assert.Equal(["p4"], center.GetHistory(limit: 1).Select(c => c.Alert.Subject!));
        Assert.Equal(5, center.GetActive().Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlertCenter(_time, _log, historyCapacity: 0));
    }
}
