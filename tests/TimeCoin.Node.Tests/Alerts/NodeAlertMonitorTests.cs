using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Sync;
using TimeCoin.Sync;

namespace TimeCoin.Node.Tests.Alerts;

public sealed class NodeAlertMonitorTests
{
    private static readonly IPAddress Trusted = IPAddress.Parse("10.0.0.5");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingLogger<AlertCenter> _log = new();
    private readonly AlertCenter _center;
    private readonly List<WhitelistEntry> _whitelist = [];
    private readonly List<ConnectedWhitelistedPeer> _live = [];
    private readonly List<ForkResolutionStatus> _forks = [];
    private readonly NodeAlertMonitor _monitor;

    public NodeAlertMonitorTests()
    {
        _center = new AlertCenter(_time, _log);
        _monitor = new NodeAlertMonitor(_center, () => new AlertInputs(_whitelist.ToArray(), _live.ToArray(), _forks.ToArray()),
            new NodeAlertMonitorOptions(), _time);
    }

    private void Whitelist(IPAddress ip, WhitelistSource source = WhitelistSource.Config) =>
        _whitelist.Add(new WhitelistEntry(IpRange.FromAddress(ip), source, PeerPermissions.All, "test", _time.GetUtcNow()));

    private ConnectedWhitelistedPeer Connect(IPAddress ip, string peerId = "ab12")
    {
        var peer = new ConnectedWhitelistedPeer(ip, peerId, _time.GetUtcNow());
        _live.Add(peer);
        return peer;
    }

    /// <summary>The record of <paramref name="peer"/>'s connection closing now (it stays in the live list, as while a connection closes).</summary>
    private DisconnectRecord Closed(ConnectedWhitelistedPeer peer, string reason = "liveness: 3 missed pongs") =>
        new(peer.PeerId, new IPEndPoint(peer.Address, 24100), false, true, reason, _time.GetUtcNow(), _time.GetUtcNow() - peer.ConnectedAt);

    private string[] Active() => _center.GetActive().Select(a => a.Subject is null ? a.Code : $"{a.Code}:{a.Subject}").ToArray();

    [Fact]
    public void Start_EmptyWhitelist_RaisesWhitelistEmptyOnlyAfterStartupGrace()
    {
        _monitor.Start();
        _time.Advance(TimeSpan.FromSeconds(25));
        Assert.Empty(Active());

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["whitelist_empty"], Active());
        Assert.Equal(AlertLevel.Error, _center.GetActive()[0].Level);

        Whitelist(Trusted);
        Connect(Trusted);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Active());
        Assert.Equal(2, _log.Entries.Count); // raised once, cleared once, despite evaluations every 5 s
        Assert.Equal("the whitelist has 1 entries", _center.GetHistory(1)[0].Resolution);
    }

    [Fact]
    public void Evaluate_WhitelistButNoneConnected_CriticalUntilOneConnects()
    {
        Whitelist(Trusted);
        _monitor.Start();
        _time.Advance(TimeSpan.FromSeconds(30));
        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.NoWhitelistedPeerConnected, AlertLevel.Critical), (alert.Code, alert.Level));
        Assert.Equal(_time.GetUtcNow(), alert.Since);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(10), Assert.Single(_center.GetActive()).Since);

        // Two connections from the address count once.
        Connect(Trusted);
        Connect(Trusted, "cd34");
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Active());
        Assert.Equal("1 whitelisted peers connected", _center.GetHistory(1)[0].Resolution);
    }

    [Fact]
    public void OnPeerDisconnected_WhitelistedPeerStaysAway_CriticalUntilItIsBack()
    {
        var other = IPAddress.Parse("10.0.0.6");
        Whitelist(Trusted);
        Whitelist(other);
        var trusted = Connect(Trusted);
        Connect(other, "cd34");
        _monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(5));

        // The closing connection is still listed when its disconnect is reported: it does not count as "back".
        _monitor.OnPeerDisconnected(Closed(trusted));
        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.WhitelistedPeerDisconnected, AlertLevel.Critical, "10.0.0.5"), (alert.Code, alert.Level, alert.Subject));
        Assert.Contains("liveness: 3 missed pongs", alert.Message);
        _live.Remove(trusted);

        _time.Advance(TimeSpan.FromMinutes(30)); // critical for as long as it is away
        Assert.Equal(["whitelisted_peer_disconnected:10.0.0.5"], Active());

        Connect(Trusted);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Active());
        Assert.Contains(_log.Entries, e => e.Message.Contains("a connection from that address is back"));
    }

    [Fact]
    public void OnPeerDisconnected_WhitelistedPeerLeftWithGoodbye_WarningWithItsReasonNotCritical()
    {
        var other = IPAddress.Parse("10.0.0.6");
        Whitelist(Trusted);
        Whitelist(other);
        var trusted = Connect(Trusted);
        Connect(other, "cd34");
        _monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(5));

        _monitor.OnPeerDisconnected(Closed(trusted, "goodbye: node stopping") with { ClosedByGoodbye = true });
        _live.Remove(trusted);

        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.WhitelistedPeerDeparted, AlertLevel.Warning, "10.0.0.5"), (alert.Code, alert.Level, alert.Subject));
        Assert.Contains("node stopping", alert.Message);
        Assert.DoesNotContain(_log.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Critical);

        _time.Advance(TimeSpan.FromMinutes(30)); // a warning for as long as it stays away
        Assert.Equal(["whitelisted_peer_departed:10.0.0.5"], Active());

        Connect(Trusted);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(Active());
    }

    [Fact]
    public void OnPeerDisconnected_LeftWithGoodbyeThenLostWithout_CriticalReplacesTheWarning()
    {
        var other = IPAddress.Parse("10.0.0.6");
        Whitelist(Trusted);
        Whitelist(other);
        Connect(other, "cd34");
        var trusted = Connect(Trusted);
        _time.Advance(TimeSpan.FromSeconds(10));
        _monitor.OnPeerDisconnected(Closed(trusted, "goodbye: upgrading") with { ClosedByGoodbye = true });
        _live.Remove(trusted);
        Assert.Equal(["whitelisted_peer_departed:10.0.0.5"], Active());

        // It comes back and, before the next evaluation, is lost again without a goodbye.
        var again = Connect(Trusted, "ab12");
        _time.Advance(TimeSpan.FromSeconds(1));
        _monitor.OnPeerDisconnected(Closed(again, "liveness: 3 missed pongs"));
        _live.Remove(again);

        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.WhitelistedPeerDisconnected, AlertLevel.Critical, "10.0.0.5"), (alert.Code, alert.Level, alert.Subject));
        Assert.Contains("liveness", alert.Message);
    }

    [Fact]
    public void OnNodeStopping_PeersAndSyncChangeAfterwards_NothingRaisedButAStoreFailureStillIs()
    {
        Whitelist(Trusted);
        var trusted = Connect(Trusted);
        _monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(1));

        _monitor.OnNodeStopping();
        _monitor.OnPeerDisconnected(Closed(trusted, "node stopping"));
        _live.Remove(trusted);
        _monitor.OnSyncLagChanged(new SyncLagAlert(true, 100, 180, _time.GetUtcNow(), _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMinutes(5));
        _monitor.Evaluate();
        Assert.Empty(Active());

        _monitor.OnStoreFailed("peer policy", new IOException("disk full"));
        Assert.Equal(["store_failing:peer policy"], Active());
    }

    /// <summary>
    /// The monitor's inputs, held on request: an evaluation that already passed the "stopping?" check waits inside
    /// <see cref="NodeAlertMonitor"/> until the test lets it go.
    /// </summary>
    private sealed class HeldInputs(Func<AlertInputs> read) : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private int _armed;

        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNextRead() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.Set();

        public AlertInputs Read()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Reading.TrySetResult();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
            return read();
        }

        public void Dispose() => _release.Dispose();
    }

    [Fact]
    public async Task OnNodeStopping_TimerEvaluationAlreadyPastTheStopCheck_RaisesNothingAfterwards()
    {
        Whitelist(Trusted);
        var trusted = Connect(Trusted);
        using var inputs = new HeldInputs(() => new AlertInputs(_whitelist.ToArray(), _live.ToArray(), _forks.ToArray()));
        using var monitor = new NodeAlertMonitor(_center, inputs.Read, new NodeAlertMonitorOptions(), _time);
        monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(Active());
        _live.Remove(trusted); // the next evaluation would raise no_whitelisted_peer_connected

        inputs.HoldNextRead();
        var ticking = Task.Run(() => _time.Advance(new NodeAlertMonitorOptions().EvaluateInterval)); // the timer's evaluation
        await inputs.Reading.Task.WaitAsync(TimeSpan.FromSeconds(10));
        monitor.OnNodeStopping();
        inputs.Release();
        await ticking.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(Active());
    }

    [Fact]
    public async Task OnNodeStopping_DisconnectBeingEvaluated_RaisesNothingAfterwards()
    {
        Whitelist(Trusted);
        var trusted = Connect(Trusted);
        using var inputs = new HeldInputs(() => new AlertInputs(_whitelist.ToArray(), _live.ToArray(), _forks.ToArray()));
        using var monitor = new NodeAlertMonitor(_center, inputs.Read, new NodeAlertMonitorOptions(), _time);
        monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(Active());

        inputs.HoldNextRead();
        var lost = Closed(trusted, "connection closed by the remote");
        _live.Remove(trusted);
        var disconnecting = Task.Run(() => monitor.OnPeerDisconnected(lost));
        await inputs.Reading.Task.WaitAsync(TimeSpan.FromSeconds(10));
        monitor.OnNodeStopping();
        inputs.Release();
        await disconnecting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(Active());
    }

    [Fact]
    public void OnPeerDisconnected_LastWhitelistedPeerGone_BothCriticalAlerts()
    {
        Whitelist(Trusted);
        var trusted = Connect(Trusted);
        _monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(Active());

        _monitor.OnPeerDisconnected(Closed(trusted, "connection closed by the remote"));

        Assert.Equal(["no_whitelisted_peer_connected", "whitelisted_peer_disconnected:10.0.0.5"], Active().Order());
    }

    [Fact]
    public void OnPeerDisconnected_AddressRemovedFromWhitelist_Clears()
    {
        Whitelist(Trusted);
        Whitelist(IPAddress.Parse("10.0.0.6"));
        Connect(IPAddress.Parse("10.0.0.6"), "cd34");
        var trusted = Connect(Trusted);
        _time.Advance(TimeSpan.FromSeconds(10));
        _monitor.OnPeerDisconnected(Closed(trusted));
        _live.Remove(trusted);
        Assert.True(_center.IsActive(AlertCodes.WhitelistedPeerDisconnected, "10.0.0.5"));

        _whitelist.RemoveAll(e => e.Range.Contains(Trusted));
        _monitor.Evaluate();

        Assert.Empty(Active());
        Assert.Contains(_log.Entries, e => e.Message.Contains("no longer whitelisted"));
    }

    [Fact]
    public void OnPeerDisconnected_DuplicateClosedOrOrdinaryPeer_RaisesNothing()
    {
        Whitelist(Trusted);
        Connect(Trusted); // the connection the node keeps to that node
        _time.Advance(TimeSpan.FromSeconds(1));
        var duplicate = Connect(Trusted);
        _monitor.OnPeerDisconnected(Closed(duplicate, "duplicate"));
        _monitor.OnPeerDisconnected(Closed(new ConnectedWhitelistedPeer(IPAddress.Parse("192.0.2.1"), "ef56", _time.GetUtcNow())) with { WasWhitelisted = false });

        Assert.Empty(Active());
    }

    [Fact]
    public void OnSyncLagChanged_RaisedThenCleared_OneWarningAlertLoggedTwice()
    {
        var start = _time.GetUtcNow();
        _monitor.OnSyncLagChanged(new SyncLagAlert(true, 100, 180, start, start));
        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.SyncLag, AlertLevel.Warning), (alert.Code, alert.Level));
        Assert.StartsWith("80 blocks behind the best peer (height 100, best 180)", alert.Message);

        _monitor.OnSyncLagChanged(new SyncLagAlert(false, 180, 180, null, start));
        Assert.Empty(Active());
        Assert.Equal(2, _log.Entries.Count);
    }

    [Fact]
    public void OnViolation_SevereByNoBanPeer_ErrorHeldForAnHourAfterTheLast()
    {
        var severe = new ViolationRecord(Trusted, ViolationKind.WrongGenesis, "genesis mismatch", true,
            new ViolationOutcome(ViolationAction.Disconnect, 0, null, "severe"), _time.GetUtcNow());
        _monitor.OnViolation(severe with { Kind = ViolationKind.MalformedMessage }); // not severe: tolerated silently
        _monitor.OnViolation(severe with { IsNoBan = false }); // an ordinary peer is banned by the ladder: no alert
        Assert.Empty(Active());

        _monitor.OnViolation(severe);
        Assert.Equal(["noban_peer_severe_violation:10.0.0.5"], Active());
        _monitor.Start();
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.Single(Active(), a => a.StartsWith("noban", StringComparison.Ordinal));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(Active(), a => a.StartsWith("noban", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ForkResolutionGaveUp_WarningUntilItLeavesThatState()
    {
        Whitelist(Trusted);
        Connect(Trusted);
        var gaveUp = new ForkResolutionStatus("peer1", ForkResolutionState.GaveUp, 90, 0, 3, 3, "depth limit 2000 reached", null, null);
        _forks.Add(gaveUp);
        _monitor.Evaluate();
        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.ForkResolutionGaveUp, "peer1"), (alert.Code, alert.Subject));
        Assert.Contains("depth limit 2000 reached", alert.Message);

        _forks[0] = gaveUp with { State = ForkResolutionState.FindingAncestor };
        _monitor.Evaluate();
        Assert.Empty(Active());
    }

    [Fact]
    public void OnStoreFailed_ThenSucceeded_RaisesAndClearsPerStore()
    {
        _monitor.OnStoreFailed("peer policy", new IOException("disk full"));
        var alert = Assert.Single(_center.GetActive());
        Assert.Equal((AlertCodes.StoreFailing, AlertLevel.Error, "peer policy"), (alert.Code, alert.Level, alert.Subject));
        Assert.Contains("disk full", alert.Message);

        _monitor.OnStoreSucceeded("peer policy");
        Assert.Empty(Active());
    }
}
