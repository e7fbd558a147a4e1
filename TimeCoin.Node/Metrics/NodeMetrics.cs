using System.Diagnostics.Metrics;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Node.Alerts;

namespace TimeCoin.Node.Metrics;

/// <summary>
/// The node's <see cref="System.Diagnostics.Metrics"/> instruments, on a <see cref="Meter"/> of its own (several nodes in
/// one process each have theirs). Gauges read the services when collected; counters are kept from the services' events
/// (disconnects, violations); ping round trips, missed pongs, traffic and the catch-up rate are sampled from the live
/// connections every <see cref="SampleInterval"/> on the node's clock. Names (as exported: meter <c>timecoin</c> +
/// instrument) are listed in docs/alerts-and-metrics.md.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter name; the Prometheus exporter prefixes every metric with it (<c>timecoin_</c>).</summary>
    public const string MeterName = "timecoin";

    /// <summary>How often connections are sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    private readonly NodeMetricsSources _sources;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<(string Reason, string Class), long> _disconnects = new();
    private readonly Dictionary<(string Kind, string Action), long> _violations = new();
    private readonly Dictionary<string, long> _missedPongs = new(StringComparer.Ordinal);
    private readonly Dictionary<PeerConnection, PeerSample> _samples = new(ReferenceEqualityComparer.Instance);
    private long _samplePass;
    private readonly Histogram<double> _pingRtt;
    private long _bytesIn;
    private long _bytesOut;
    private long _lastHeight = -1;
    private DateTimeOffset _lastHeightAt;
    private double _catchUpRate;
    private ITimer? _timer;

    private sealed class PeerSample
    {
        public DateTimeOffset? LastPongAt { get; set; }
        public long BytesIn { get; set; }
        public long BytesOut { get; set; }
        public long MissedPongs { get; set; }
        public long Pass { get; set; }
    }

    /// <summary>Creates the meter and its instruments over <paramref name="sources"/>; call <see cref="Start"/> to sample.</summary>
    public NodeMetrics(NodeMetricsSources sources, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(time);
        _sources = sources;
        _time = time;
        Meter = new Meter(MeterName);

        Meter.CreateObservableGauge("peers", ObservePeers, "{peer}", "Connected peers by direction (in/out) and class (whitelisted/masternode/ordinary).");
        Meter.CreateObservableGauge("whitelisted_peers_connected", () => sources.Connections.Peers.Count(p => p.IsWhitelisted), "{peer}", "Connected whitelisted peers.");
        Meter.CreateObservableGauge("whitelist_entries", () => sources.Policy.ListWhitelist().Count, "{entry}", "Whitelist entries, all sources.");
        Meter.CreateObservableCounter("peer_disconnects_total", ObserveDisconnects, "{disconnect}", "Disconnects by reason and class since start.");
        Meter.CreateObservableGauge("peer_missed_pongs", ObserveMissedPongsNow, "{pong}", "Consecutive missed pongs summed over connected peers, by class.");
        Meter.CreateObservableCounter("missed_pongs_total", ObserveMissedPongsTotal, "{pong}", "Missed pongs since start, by class (sampled).");
        _pingRtt = Meter.CreateHistogram<double>("ping_rtt_seconds", "s", "Ping round-trip times, by class (one sample per pong seen at the sampling tick).");
        Meter.CreateObservableGauge("chain_height", () => sources.Chain.Height, "{block}", "Our active chain height.");
        Meter.CreateObservableGauge("sync_best_peer_height", () => sources.Sync.GetStatus().BestHeight, "{block}", "The best height a peer reported (or ours if higher).");
        Meter.CreateObservableGauge("sync_lag_blocks", () => Math.Max(0, sources.Sync.GetStatus().BestHeight - sources.Chain.Height), "{block}", "Blocks behind the best peer.");
        Meter.CreateObservableGauge("sync_blocks_in_flight", () => sources.Sync.GetStatus().BlocksInFlight, "{block}", "Blocks requested and not yet delivered.");
        Meter.CreateObservableGauge("sync_syncing", () => sources.Sync.GetStatus().IsSyncing ? 1 : 0, null, "1 while catching up or resolving a fork.");
        Meter.CreateObservableGauge("sync_catchup_blocks_per_second", () => Volatile.Read(ref _catchUpRate), "{block}/s", "Blocks connected per second over the last sampling interval.");
        Meter.CreateObservableGauge("bans_active", () => sources.Policy.ListBans().Count, "{ban}", "Active bans.");
        Meter.CreateObservableCounter("violations_total", ObserveViolations, "{violation}", "Recorded violations by kind and action since start.");
        Meter.CreateObservableGauge("alerts_active", ObserveAlerts, "{alert}", "Active alerts by code and level (0 when inactive).");
        Meter.CreateObservableGauge("masternodes", ObserveMasternodes, "{masternode}", "Known masternodes by status (active/offline).");
        Meter.CreateObservableCounter("network_bytes_total", ObserveBytes, "By", "Frame bytes received (in) and sent (out) since start (sampled).");

        sources.Connections.PeerDisconnected += OnPeerDisconnected;
        sources.Policy.ViolationRecorded += OnViolation;
    }

    /// <summary>This node's meter.</summary>
    public Meter Meter { get; }

    /// <summary>Starts sampling connections every <see cref="SampleInterval"/>.</summary>
    public void Start()
    {
        lock (_gate)
            _timer ??= _time.CreateTimer(static state => ((NodeMetrics)state!).Sample(), this, TimeSpan.Zero, SampleInterval);
    }

    /// <summary>Samples the live connections now (the timer calls it).</summary>
    public void Sample()
    {
        var now = _time.GetUtcNow();
        var peers = _sources.Connections.Peers;
        lock (_gate)
        {
            // Each live peer's sample is marked with this pass; the samples of peers gone since the last pass are the
            // unmarked ones (no set of the live peers built every pass).
            long pass = ++_samplePass;
            int marked = 0;
            foreach (var peer in peers)
            {
                var ping = peer.PingStatistics; // the same instance until a ping, pong or delivery changes it (PingState)
                if (!_samples.TryGetValue(peer, out var sample))
                    _samples[peer] = sample = new PeerSample();
                if (sample.Pass != pass)
                {
                    sample.Pass = pass;
                    marked++;
                }
                // The peer's class (a whitelist lookup) only when something is recorded under it: most passes see no
                // new pong of most peers (a pong every 15 or 30 s, a pass every 5 s) and no missed pong at all.
                string? cls = null;
                if (ping.LastPongAt is { } pong && pong != sample.LastPongAt && ping.LastRtt is { } rtt)
                    _pingRtt.Record(rtt.TotalSeconds, new KeyValuePair<string, object?>("class", cls ??= ClassOf(peer)));
                sample.LastPongAt = ping.LastPongAt;
                long bytesIn = peer.BytesReceived;
                long bytesOut = peer.BytesSent;
                _bytesIn += Math.Max(0, bytesIn - sample.BytesIn);
                _bytesOut += Math.Max(0, bytesOut - sample.BytesOut);
                if (ping.TotalMissedPongs > sample.MissedPongs)
                {
                    cls ??= ClassOf(peer);
                    _missedPongs[cls] = _missedPongs.GetValueOrDefault(cls) + (ping.TotalMissedPongs - sample.MissedPongs);
                }
                sample.BytesIn = bytesIn;
                sample.BytesOut = bytesOut;
                sample.MissedPongs = ping.TotalMissedPongs;
            }
            if (marked != _samples.Count)
            {
                List<PeerConnection> gone = [];
                foreach (var (peer, sample) in _samples)
                {
                    if (sample.Pass != pass)
                        gone.Add(peer);
                }
                foreach (var peer in gone)
                    _samples.Remove(peer);
            }
            long height = _sources.Chain.Height;
            if (_lastHeight >= 0 && now > _lastHeightAt)
                Volatile.Write(ref _catchUpRate, Math.Max(0, height - _lastHeight) / (now - _lastHeightAt).TotalSeconds);
            _lastHeight = height;
            _lastHeightAt = now;
        }
    }

    /// <summary>Stops sampling, unsubscribes and disposes the meter (its series disappear from the exporter).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
        _sources.Connections.PeerDisconnected -= OnPeerDisconnected;
        _sources.Policy.ViolationRecorded -= OnViolation;
        Meter.Dispose();
    }

    private static string ClassOf(PeerConnection peer) => peer.IsWhitelisted ? "whitelisted" : peer.IsMasternode ? "masternode" : "ordinary";

    private static readonly string[] Classes = ["whitelisted", "masternode", "ordinary"];

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private IEnumerable<Measurement<int>> ObservePeers()
    {
        var peers = _sources.Connections.Peers;
        foreach (var direction in new[] { "in", "out" })
            foreach (var cls in Classes)
                yield return new Measurement<int>(peers.Count(p => (p.IsInbound ? "in" : "out") == direction && ClassOf(p) == cls),
                    Tag("direction", direction), Tag("class", cls));
    }

    private void OnPeerDisconnected(DisconnectRecord record)
    {
        var cls = record.WasWhitelisted ? "whitelisted" : _sources.Masternodes.GetAll().Any(m => m.Key.ToString() == record.PeerId) ? "masternode" : "ordinary";
        var key = (DisconnectReasons.Classify(record), cls);
        lock (_gate)
            _disconnects[key] = _disconnects.GetValueOrDefault(key) + 1;
    }

    private void OnViolation(object? sender, ViolationRecord violation)
    {
        var key = (violation.Kind.ToString(), violation.Outcome.Action.ToString().ToLowerInvariant());
        lock (_gate)
            _violations[key] = _violations.GetValueOrDefault(key) + 1;
    }

    private IEnumerable<Measurement<long>> ObserveDisconnects()
    {
        lock (_gate)
        {
            // The whitelisted series always exist (0 until the first), so alert rules and dashboards can reference them.
            var result = new List<Measurement<long>>();
            foreach (var reason in DisconnectReasons.All)
                if (!_disconnects.ContainsKey((reason, "whitelisted")))
                    result.Add(new Measurement<long>(0, Tag("reason", reason), Tag("class", "whitelisted")));
            result.AddRange(_disconnects.Select(kv => new Measurement<long>(kv.Value, Tag("reason", kv.Key.Reason), Tag("class", kv.Key.Class))));
            return result;
        }
    }

    private IEnumerable<Measurement<int>> ObserveMissedPongsNow()
    {
        var peers = _sources.Connections.Peers;
        foreach (var cls in Classes)
            yield return new Measurement<int>(peers.Where(p => ClassOf(p) == cls).Sum(p => p.PingStatistics.MissedPongs), Tag("class", cls));
    }

    private IEnumerable<Measurement<long>> ObserveMissedPongsTotal()
    {
        lock (_gate)
            return Classes.Select(cls => new Measurement<long>(_missedPongs.GetValueOrDefault(cls), Tag("class", cls))).ToArray();
    }

    private IEnumerable<Measurement<long>> ObserveViolations()
    {
        // Every (kind, action) pair is published, 0 until it happens (8 kinds x 3 actions), so rules can reference any.
        lock (_gate)
            return (from kind in Enum.GetValues<ViolationKind>()
                    from action in Enum.GetValues<ViolationAction>()
                    let key = (kind.ToString(), action.ToString().ToLowerInvariant())
                    select new Measurement<long>(_violations.GetValueOrDefault(key), Tag("kind", key.Item1), Tag("action", key.Item2))).ToArray();
    }

    private IEnumerable<Measurement<int>> ObserveAlerts()
    {
        var active = _sources.Alerts.GetActive();
        foreach (var code in AlertCodes.All)
            yield return new Measurement<int>(active.Count(a => a.Code == code), Tag("code", code),
                Tag("level", AlertCodes.LevelOf(code).ToString().ToLowerInvariant()));
    }

    private IEnumerable<Measurement<int>> ObserveMasternodes()
    {
        var all = _sources.Masternodes.GetAll();
        foreach (var status in Enum.GetValues<MasternodeStatus>())
            yield return new Measurement<int>(all.Count(m => m.Status == status), Tag("status", status.ToString().ToLowerInvariant()));
    }

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        lock (_gate)
            return [new Measurement<long>(_bytesIn, Tag("direction", "in")), new Measurement<long>(_bytesOut, Tag("direction", "out"))];
    }
}
