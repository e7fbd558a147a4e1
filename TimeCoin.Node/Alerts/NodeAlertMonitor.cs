using System.Globalization;
using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Sync;
using TimeCoin.Sync;

namespace TimeCoin.Node.Alerts;

/// <summary>
/// Decides the node's alert conditions and raises and clears them in the <see cref="AlertCenter"/>: the analysis' four
/// (a whitelisted peer disconnected, sync lag, no whitelisted peer connected, an empty whitelist) and the operator's
/// extras (a whitelisted peer that left in order, a failing store, a severe violation by a no-ban peer, a fork
/// resolution that gave up). State-based conditions
/// are evaluated every <see cref="NodeAlertMonitorOptions.EvaluateInterval"/> on the node's clock and right after each
/// disconnect; events (disconnects, violations, lag changes, store results) come in through the <c>On...</c> methods.
/// </summary>
public sealed class NodeAlertMonitor : IDisposable
{
    private readonly AlertCenter _center;
    private readonly Func<AlertInputs> _inputs;
    private readonly NodeAlertMonitorOptions _options;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;
    private readonly object _gate = new();
    private readonly Dictionary<IPAddress, DisconnectRecord> _lostWhitelisted = new();
    private readonly Dictionary<IPAddress, (string Message, DateTimeOffset At)> _noBanViolations = new();
    private ITimer? _timer;
    private volatile bool _nodeStopping;

    /// <summary>Creates a monitor; call <see cref="Start"/> to evaluate on a timer.</summary>
    /// <param name="center">Where alerts are raised and cleared.</param>
    /// <param name="inputs">Reads the current state (whitelist, connected whitelisted peers, fork resolutions).</param>
    /// <param name="options">Timing.</param>
    /// <param name="time">The node's clock.</param>
    public NodeAlertMonitor(AlertCenter center, Func<AlertInputs> inputs, NodeAlertMonitorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(center);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _center = center;
        _inputs = inputs;
        _options = options;
        _time = time;
        _startedAt = time.GetUtcNow();
    }

    /// <summary>How often the state-based conditions are evaluated (<see cref="NodeAlertMonitorOptions.EvaluateInterval"/>).</summary>
    public TimeSpan EvaluateInterval => _options.EvaluateInterval;

    /// <summary>Evaluates now and then every <see cref="NodeAlertMonitorOptions.EvaluateInterval"/>.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (!_nodeStopping)
                _timer ??= _time.CreateTimer(static state => ((NodeAlertMonitor)state!).Evaluate(), this, TimeSpan.Zero, _options.EvaluateInterval);
        }
    }

    /// <summary>Stops the timer.</summary>
    public void Dispose() => OnNodeStopping();

    /// <summary>
    /// The node was asked to stop: from now on the monitor raises nothing about peers, sync, violations or forks (the
    /// peers it loses now are the ones it is closing, or ones that stop with it); the timer stops. Alerts already
    /// active stay as they are. Store results still count: a store failing while the node saves at stop is news.
    /// An evaluation already under way (the timer's dispose does not wait for its callback) decides under the same
    /// lock and checks again: once this returns, nothing about peers, sync, violations or forks is raised.
    /// </summary>
    public void OnNodeStopping()
    {
        lock (_gate)
        {
            _nodeStopping = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>
    /// A connection closed: a whitelisted one raises <see cref="AlertCodes.WhitelistedPeerDisconnected"/> (critical), or
    /// <see cref="AlertCodes.WhitelistedPeerDeparted"/> (warning) when the peer said goodbye, unless another connection
    /// from its IP is live. (The node stops listening before it closes its own connections at shutdown.)
    /// </summary>
    public void OnPeerDisconnected(DisconnectRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.WasWhitelisted)
            return;
        lock (_gate)
        {
            if (_nodeStopping)
                return;
            _lostWhitelisted[IpRange.Normalize(record.RemoteEndPoint.Address)] = record;
        }
        Evaluate();
    }

    /// <summary>The sync coordinator's lag detection changed: raise or clear <see cref="AlertCodes.SyncLag"/>.</summary>
    public void OnSyncLagChanged(SyncLagAlert lag)
    {
        ArgumentNullException.ThrowIfNull(lag);
        lock (_gate)
        {
            if (_nodeStopping)
                return;
            if (lag.IsRaised)
                _center.Raise(AlertCodes.SyncLag, string.Create(CultureInfo.InvariantCulture,
                    $"{lag.BlocksBehind} blocks behind the best peer (height {lag.Height}, best {lag.BestHeight}) since {lag.LaggingSince:yyyy-MM-ddTHH:mm:ssZ}"));
            else
                _center.Clear(AlertCodes.SyncLag, null, string.Create(CultureInfo.InvariantCulture, $"caught up: height {lag.Height}, best {lag.BestHeight}"));
        }
    }

    /// <summary>The policy recorded a violation: a severe one by a no-ban peer raises <see cref="AlertCodes.NoBanPeerSevereViolation"/>.</summary>
    public void OnViolation(ViolationRecord violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        if (!violation.IsSevereByNoBanPeer)
            return;
        var message = $"whitelisted no-ban peer committed {violation.Kind}: {violation.Detail} (disconnected, not banned)";
        lock (_gate)
        {
            if (_nodeStopping)
                return;
            _noBanViolations[violation.Address] = (message, violation.At);
            _center.Raise(AlertCodes.NoBanPeerSevereViolation, message, violation.Address.ToString());
        }
    }

    /// <summary>Writing <paramref name="store"/> failed: raise <see cref="AlertCodes.StoreFailing"/> about it.</summary>
    public void OnStoreFailed(string store, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _center.Raise(AlertCodes.StoreFailing, $"writing {store} failed: {error.Message}", store);
    }

    /// <summary>Writing <paramref name="store"/> succeeded: clear its <see cref="AlertCodes.StoreFailing"/>.</summary>
    public void OnStoreSucceeded(string store) => _center.Clear(AlertCodes.StoreFailing, store, "a later write succeeded");

    /// <summary>Evaluates every state-based condition now (the timer calls it; tests may too); nothing once the node is stopping.</summary>
    /// <remarks>The inputs are read outside the monitor's lock; the decisions are made and carried out under it, after
    /// checking again that the node is not stopping. <see cref="OnNodeStopping"/> takes the same lock, so an evaluation
    /// under way when the node begins to stop (a timer callback is not waited for by the timer's dispose) raises nothing
    /// after <see cref="OnNodeStopping"/> returned.</remarks>
    public void Evaluate()
    {
        if (_nodeStopping)
            return;
        var inputs = _inputs();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_nodeStopping)
                EvaluateLocked(inputs, now);
        }
    }

    private static readonly IReadOnlyDictionary<string, string> NoAlerts = new Dictionary<string, string>(StringComparer.Ordinal);

    // Runs every few seconds on every node, nearly always with nothing lost, nothing violated and no fork given up:
    // sets and dictionaries are built only when there is something to put in them, and the resolution of a clear is
    // formatted only when the alert is active.
    private void EvaluateLocked(AlertInputs inputs, DateTimeOffset now)
    {
        Dictionary<string, string>? lost = null;
        Dictionary<string, string>? departed = null;
        Dictionary<string, string>? resolutions = null;
        Dictionary<string, string>? violations = null;
        HashSet<IPAddress>? connected = null;
        if (_lostWhitelisted.Count > 0)
        {
            connected = ConnectedAddresses(inputs);
            foreach (var (ip, record) in _lostWhitelisted.ToArray())
            {
                if (connected.Contains(ip))
                {
                    (resolutions ??= new(StringComparer.Ordinal))[ip.ToString()] = "a connection from that address is back";
                    _lostWhitelisted.Remove(ip);
                }
                else if (!IsWhitelisted(inputs.Whitelist, ip))
                {
                    (resolutions ??= new(StringComparer.Ordinal))[ip.ToString()] = "the address is no longer whitelisted";
                    _lostWhitelisted.Remove(ip);
                }
                else if (record.ClosedByGoodbye)
                {
                    (departed ??= new(StringComparer.Ordinal))[ip.ToString()] = string.Create(CultureInfo.InvariantCulture,
                        $"whitelisted peer {record.RemoteEndPoint} ({(record.IsInbound ? "inbound" : "outbound")}) left in order at {record.At:yyyy-MM-ddTHH:mm:ssZ} and is not back: {record.Reason}");
                }
                else
                {
                    (lost ??= new(StringComparer.Ordinal))[ip.ToString()] = string.Create(CultureInfo.InvariantCulture,
                        $"whitelisted peer {record.RemoteEndPoint} ({(record.IsInbound ? "inbound" : "outbound")}) disconnected at {record.At:yyyy-MM-ddTHH:mm:ssZ}: {record.Reason}");
                }
            }
        }
        foreach (var (ip, violation) in _noBanViolations.ToArray())
        {
            if (now - violation.At >= _options.ViolationHold)
                _noBanViolations.Remove(ip);
            else
                (violations ??= new(StringComparer.Ordinal))[ip.ToString()] = violation.Message;
        }
        var lostNow = lost ?? NoAlerts;
        var resolved = resolutions ?? NoAlerts;
        _center.Reconcile(AlertCodes.WhitelistedPeerDeparted, departed ?? NoAlerts, subject => resolved.GetValueOrDefault(subject,
            lostNow.ContainsKey(subject) ? "lost again without a goodbye (see whitelisted_peer_disconnected)" : "a connection from that address is back"));
        _center.Reconcile(AlertCodes.WhitelistedPeerDisconnected, lostNow,
            subject => resolved.GetValueOrDefault(subject, "a connection from that address is back"));
        _center.Reconcile(AlertCodes.NoBanPeerSevereViolation, violations ?? NoAlerts,
            _ => string.Create(CultureInfo.InvariantCulture, $"no further severe violation for {_options.ViolationHold.TotalMinutes:0} min"));

        bool pastGrace = now - _startedAt >= _options.StartupGrace;
        int entries = inputs.Whitelist.Count;
        if (entries == 0 && pastGrace)
            _center.Raise(AlertCodes.WhitelistEmpty, "the whitelist is empty: set [p2p] whitelisted_peers or a discovery URL, or check that discovery answers");
        else if (entries > 0 && _center.IsActive(AlertCodes.WhitelistEmpty))
            _center.Clear(AlertCodes.WhitelistEmpty, null, string.Create(CultureInfo.InvariantCulture, $"the whitelist has {entries} entries"));

        // With no disconnect record pending nothing listed is closing, so any listed connection counts.
        bool anyConnected = connected is not null ? connected.Count > 0 : inputs.ConnectedWhitelisted.Count > 0;
        if (entries > 0 && !anyConnected && pastGrace)
            _center.Raise(AlertCodes.NoWhitelistedPeerConnected, string.Create(CultureInfo.InvariantCulture,
                $"none of the {entries} whitelist entries has a connected peer"));
        else if ((entries == 0 || anyConnected) && _center.IsActive(AlertCodes.NoWhitelistedPeerConnected))
            _center.Clear(AlertCodes.NoWhitelistedPeerConnected, null, entries == 0
                ? "the whitelist is empty (see whitelist_empty)"
                : string.Create(CultureInfo.InvariantCulture, $"{(connected ?? ConnectedAddresses(inputs)).Count} whitelisted peers connected"));

        Dictionary<string, string>? gaveUp = null;
        foreach (var fork in inputs.ForkResolutions)
        {
            if (fork.State == ForkResolutionState.GaveUp)
                (gaveUp ??= new(StringComparer.Ordinal)).Add(fork.PeerId, GaveUpMessage(fork));
        }
        _center.Reconcile(AlertCodes.ForkResolutionGaveUp, gaveUp ?? NoAlerts, _ => "the fork resolution was retried or the peer left");
    }

    /// <summary>
    /// The addresses of the connected whitelisted peers (normalized), leaving out the connection a disconnect record is
    /// about: it may still be listed while it closes.
    /// </summary>
    private HashSet<IPAddress> ConnectedAddresses(AlertInputs inputs)
    {
        var closing = new HashSet<(string PeerId, DateTimeOffset ConnectedAt)>();
        foreach (var record in _lostWhitelisted.Values)
            closing.Add((record.PeerId, record.At - record.Duration));
        var connected = new HashSet<IPAddress>();
        foreach (var peer in inputs.ConnectedWhitelisted)
        {
            if (!closing.Contains((peer.PeerId, peer.ConnectedAt)))
                connected.Add(IpRange.Normalize(peer.Address));
        }
        return connected;
    }

    private static bool IsWhitelisted(IReadOnlyList<WhitelistEntry> whitelist, IPAddress ip)
    {
        foreach (var entry in whitelist)
        {
            if (entry.Range.Contains(ip))
                return true;
        }
        return false;
    }

    private static string GaveUpMessage(ForkResolutionStatus fork)
    {
        var retry = fork.RetryAllowedAt is { } at ? string.Create(CultureInfo.InvariantCulture, $"; retry allowed at {at:yyyy-MM-ddTHH:mm:ssZ}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"fork resolution with peer {fork.PeerId} gave up after {fork.FailedAttempts} failed attempts: {fork.LastError ?? fork.Outcome ?? "no reason given"}{retry}");
    }
}
