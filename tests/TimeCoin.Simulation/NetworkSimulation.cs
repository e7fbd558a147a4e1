using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Storage;
using TimeCoin.Simulation.Networking;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation;

/// <summary>
/// A whole network of real <see cref="TimeNode"/>s (the same composition <c>time-node</c> runs: storage, chain, peer
/// policy, heartbeat registry, connection manager, sync coordinator, block production, heartbeats) in virtual time,
/// over a <see cref="SimulatedNetwork"/>, each host on its own <see cref="SimulationLane"/> of the
/// <see cref="SimulationScheduler"/> (lanes run in parallel within lock-step windows of the smallest link latency).
/// The harness builds the federation and genesis from the seed, starts, crashes and restarts nodes, injects faults,
/// samples the figures of the report and checks invariants, between windows.
/// </summary>
public sealed class NetworkSimulation : IDisposable
{
    /// <summary>The port every simulated node listens on.</summary>
    public const int Port = 24000;

    private static int _runCounter;

    private readonly List<SimulatedNode> _nodes = [];
    private readonly Random _random;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Dictionary<(int Node, int Incarnation), (DateTimeOffset At, HashSet<DisconnectRecord> SeenAtLast)> _disconnectCursor = [];
    private readonly Dictionary<PeerConnection, (int Node, long Missed)> _pongCursor = new(ReferenceEqualityComparer.Instance);
    private readonly (long Height, Hash256 Hash)[] _tips;
    private readonly Lock _metricsGate = new();
    private readonly Stopwatch _wall = new();
    private readonly SignatureCache _signatures = new(300_000);
    private readonly int _run = Interlocked.Increment(ref _runCounter);
    private ITimer? _sampler;

    /// <summary>Builds the network (nothing runs until <see cref="Start"/>).</summary>
    public NetworkSimulation(SimulationOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Producers > options.Masternodes)
            throw new ArgumentException("Producers must be masternodes.", nameof(options));
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _random = new Random(Derive(options.Seed, 0, 0));
        // Genesis on a round date plus a seeded offset: the first slot boundaries differ between seeds.
        var epoch = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(_random.Next(0, 1_000_000));
        Scheduler = new SimulationScheduler(epoch, new TraceHash()) { Workers = options.Workers ?? Environment.ProcessorCount };
        Trace = Scheduler.Trace;
        Network = new SimulatedNetwork(Scheduler, new Random(Derive(options.Seed, 1, 0)));
        if (options.Links is { } links)
            Network.Profiles = links;

        int total = options.Masternodes + options.OrdinaryNodes;
        for (int i = 0; i < total; i++)
        {
            bool masternode = i < options.Masternodes;
            var key = KeyPair.FromPrivateKey(SHA256.HashData(BitConverter.GetBytes(Derive(options.Seed, 2, i))));
            var address = masternode ? new IPAddress([10, 1, (byte)(i / 250), (byte)(i % 250 + 1)]) : new IPAddress([10, 2, (byte)(i / 250), (byte)(i % 250 + 1)]);
            var node = new SimulatedNode(i, address, key, masternode, isProducer: false, $"timecoin-sim-{Environment.ProcessId}-{_run}-{i}")
            {
                Lane = Scheduler.CreateLane($"node{i}"),
                Skew = TimeSpan.FromTicks((long)((_random.NextDouble() * 2 - 1) * options.MaxClockSkew.Ticks)),
            };
            _nodes.Add(node);
        }
        _tips = new (long, Hash256)[total];
        // Producers spread over the masternodes (every k-th), chosen by the seed's shuffle.
        var order = Enumerable.Range(0, options.Masternodes).ToArray();
        _random.Shuffle(order);
        ProducerIndexes = order.Take(options.Producers).Order().ToArray();
        long genesisTime = epoch.ToUnixTimeSeconds() - (long)options.PrebuiltBlocks * options.BlockTimeSeconds - options.BlockTimeSeconds;
        var chain = ChainParameters.CreateDevnet(ProducerIndexes.Select(i => _nodes[i].Identity.PublicKey), genesisTime, options.BlockTimeSeconds);
        Chain = options.MaxReorgDepth is { } depth ? chain.WithMaxReorgDepth(depth) : chain;
        Bootstrap = _nodes.Select(n => PickBootstrap(n.Index)).ToArray();
        if (options.PrebuiltBlocks > 0)
            Prebuild(options.PrebuiltBlocks);
    }

    /// <summary>Builds <paramref name="count"/> blocks (every slot filled by its producer) into the first store and copies it to the others.</summary>
    private void Prebuild(int count)
    {
        var keys = ProducerIndexes.ToDictionary(i => _nodes[i].Identity.PublicKey, i => _nodes[i].Identity);
        var withChain = _nodes.Where(n => n.IsMasternode && !Options.StartEmpty.Contains(n.Index)).ToList();
        var first = withChain[0];
        using (var db = NodeDatabase.Open("/simulation/" + first.StoreName, new NodeDatabaseOptions { InMemoryName = first.StoreName }))
        {
            var store = ChainStore.Open(db, Chain);
            var parent = Chain.GenesisHeader;
            var now = Scheduler.Epoch;
            var batch = new List<Block>(1000);
            for (ulong slot = 1; slot <= (ulong)count; slot++)
            {
                var block = BlockFactory.Create(Chain, parent, slot, keys[Chain.Schedule.ProducerOf(slot)], []);
                batch.Add(block);
                parent = block.Header;
                if (batch.Count == 1000 || slot == (ulong)count)
                {
                    store.AddBatch(batch, now);
                    batch.Clear();
                }
            }
        }
        using var source = new Microsoft.Data.Sqlite.SqliteConnection(NodeDatabase.InMemoryConnectionString(first.StoreName));
        source.Open();
        foreach (var node in withChain.Skip(1))
        {
            using var target = new Microsoft.Data.Sqlite.SqliteConnection(NodeDatabase.InMemoryConnectionString(node.StoreName));
            target.Open();
            source.BackupDatabase(target);
        }
    }

    /// <summary>The options.</summary>
    public SimulationOptions Options { get; }

    /// <summary>The scheduler (virtual time).</summary>
    public SimulationScheduler Scheduler { get; }

    /// <summary>The simulated network.</summary>
    public SimulatedNetwork Network { get; }

    /// <summary>The trace of the run (the harness's and every lane's, combined in lane order).</summary>
    public SimulationTrace Trace { get; }

    /// <summary>The chain every node follows (federation of the producers, genesis at virtual time zero).</summary>
    public ChainParameters Chain { get; }

    /// <summary>The hosts.</summary>
    public IReadOnlyList<SimulatedNode> Nodes => _nodes;

    /// <summary>Indexes of the nodes holding a federation key.</summary>
    public IReadOnlyList<int> ProducerIndexes { get; }

    /// <summary>Each node's bootstrap peers.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Bootstrap { get; }

    /// <summary>What was measured.</summary>
    public SimulationMetrics Metrics { get; } = new();

    /// <summary>
    /// Injected faults: from, until (null: still on) and which pairs of hosts (node, peer) each one affects. A
    /// disconnect or missed pong between an affected pair during a fault (or within <see cref="FaultAftermath"/> after
    /// it) is the fault's doing, not the node's.
    /// </summary>
    public List<FaultWindow> Faults { get; } = [];

    /// <summary>How long after a fault its effects still count as the fault's.</summary>
    public static TimeSpan FaultAftermath { get; } = TimeSpan.FromMinutes(2);

    /// <summary>Starts recording a fault that affects the pairs <paramref name="affects"/> says.</summary>
    public FaultWindow BeginFault(string name, Func<IPAddress, IPAddress, bool> affects)
    {
        var fault = new FaultWindow(name, Elapsed, affects);
        Faults.Add(fault);
        Trace.Note(Elapsed.Ticks, "fault " + name);
        return fault;
    }

    /// <summary>True when <paramref name="d"/> happened between hosts a fault affected, during it or just after.</summary>
    public bool IsFaultInduced(SimulationMetrics.Disconnect d)
    {
        var self = _nodes[d.Node].Address;
        var peer = IPAddress.Parse(d.Peer);
        return Faults.Any(f => d.At >= f.From && d.At <= (f.Until ?? TimeSpan.MaxValue - FaultAftermath) + FaultAftermath
            && (f.Affects(self, peer) || f.Affects(peer, self)));
    }

    /// <summary>True when a fault affects the pair now or did within <see cref="FaultAftermath"/> (or, for a pong
    /// count, within the lenient pong timeout: a pong missed then was asked for during the fault).</summary>
    private bool IsPairFaulted(TimeSpan now, IPAddress a, IPAddress b) =>
        Faults.Any(f => now >= f.From && now <= (f.Until ?? TimeSpan.MaxValue - FaultAftermath - Options.Ping.LenientPongTimeout) + FaultAftermath + Options.Ping.LenientPongTimeout
            && (f.Affects(a, b) || f.Affects(b, a)));

    /// <summary>Wall time spent in <see cref="RunFor"/>.</summary>
    public TimeSpan WallTime => _wall.Elapsed;

    /// <summary>CPU time of the process (user + system, all threads) spent in <see cref="RunFor"/>: steadier than the
    /// wall time on a shared machine.</summary>
    public TimeSpan CpuTime { get; private set; }

    /// <summary>Virtual time elapsed.</summary>
    public TimeSpan Elapsed => Scheduler.Elapsed;

    /// <summary>Starts every node (staggered over the first seconds) and the sampler.</summary>
    public void Start()
    {
        foreach (var node in _nodes)
            StartNode(node);
        _sampler = Scheduler.Schedule(Scheduler.Harness, Options.SampleInterval, Sample, traced: false);
        _sampler.Change(Options.SampleInterval, Options.SampleInterval);
    }

    /// <summary>Runs the network for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(TimeSpan duration)
    {
        _wall.Start();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        try
        {
            Scheduler.RunUntil(Scheduler.Elapsed + duration);
        }
        finally
        {
            _wall.Stop();
            CpuTime += Environment.CpuUsage.TotalTime - cpuBefore;
        }
    }

    /// <summary>Runs until <paramref name="condition"/> holds (checked every <paramref name="step"/>) or <paramref name="limit"/> passes.</summary>
    /// <returns>The virtual time it took, or null when the limit passed first.</returns>
    public TimeSpan? RunUntil(Func<bool> condition, TimeSpan limit, TimeSpan? step = null)
    {
        var start = Elapsed;
        var every = step ?? TimeSpan.FromMilliseconds(500);
        while (!condition())
        {
            if (Elapsed - start >= limit)
                return null;
            RunFor(every);
        }
        return Elapsed - start;
    }

    /// <summary>The process of node <paramref name="index"/> dies: its work is dropped, its connections reset; the store keeps what it committed.</summary>
    public void Crash(int index)
    {
        var node = _nodes[index];
        if (node.Context is null)
            return;
        SampleMetrics(); // account what the incarnation saw before it goes
        var address = node.Address;
        node.CrashFault = BeginFault($"crash {index}", (a, b) => a.Equals(address) || b.Equals(address));
        node.Context!.Kill();
        Network.CrashHost(node.Address);
        node.Node = null;
        node.Context = null;
        node.DownSince = Elapsed;
    }

    /// <summary>Starts node <paramref name="index"/> again on its store.</summary>
    public void Restart(int index)
    {
        var node = _nodes[index];
        if (node.Context is not null)
            return;
        Trace.Note(Elapsed.Ticks, $"restart {index}");
        node.CrashFault?.End(Elapsed);
        node.CrashFault = null;
        StartNode(node);
    }

    /// <summary>Heights of the running nodes.</summary>
    public IEnumerable<long> RunningHeights() => _nodes.Where(n => n.IsUp).Select(n => n.Node!.Chain.State.Height);

    /// <summary>True when every running node has the same tip.</summary>
    public bool AllOnOneTip()
    {
        Hash256? tip = null;
        foreach (var node in _nodes.Where(n => n.IsUp))
        {
            var hash = node.Node!.Chain.State.TipHash;
            if (tip is null)
                tip = hash;
            else if (tip.Value != hash)
                return false;
        }
        return true;
    }

    /// <summary>The replay command for this run's seed.</summary>
    public static string ReplayCommand(string scenario, int seed, double hours, int nodes, int producers) =>
        $"dotnet run -c Release --project tests/TimeCoin.Simulation -- run {scenario} --seed {seed} --hours {hours.ToString(System.Globalization.CultureInfo.InvariantCulture)} --nodes {nodes} --producers {producers}";

    private void StartNode(SimulatedNode node)
    {
        node.Incarnation++;
        var context = Scheduler.CreateContext($"node{node.Index}#{node.Incarnation}", node.Lane);
        var clock = Scheduler.CreateClock(context, node.Skew);
        var transport = Network.CreateTransport(node.Address, context, clock);
        var nonces = new Random(Derive(Options.Seed, 3, node.Index * 1000 + node.Incarnation));
        var endpoint = new IPEndPoint(node.Address, Port);
        var options = new TimeNodeOptions
        {
            Chain = Chain,
            DataDirectory = "/simulation/" + node.StoreName,
            Database = new NodeDatabaseOptions { InMemoryName = node.StoreName },
            // Block and header signatures are verified inline on the node's lane, not on thread-pool workers.
            // One verified-signature cache for the whole network (thread-safe: lanes run in parallel): a block or
            // heartbeat signature is verified once per run instead of once per node (node CPU takes no virtual time,
            // and a hit or a miss gives the same answer, so this changes no outcome).
            Store = new ChainStoreOptions { VerificationParallelism = 1, SignatureCache = _signatures },
            Identity = node.Identity,
            IsMasternode = node.IsMasternode,
            Seed = Derive(Options.Seed, 4, node.Index * 1000 + node.Incarnation),
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = endpoint,
                AdvertisedEndPoint = endpoint,
                DefaultPort = Port,
                TargetOutbound = Options.TargetOutbound,
                WhitelistedPeers = Options.Whitelist ?? ["10.1.0.0/16"],
                BootstrapPeers = Bootstrap[node.Index],
                AutoWhitelistMasternodes = Options.AutoWhitelistMasternodes,
                Ping = Options.Ping,
                DisconnectHistorySize = 5000,
                HandshakeNonceSource = () => (ulong)nonces.NextInt64(),
            },
        };
        node.Context = context;
        Task? started = null;
        context.Post(_ => started = StartAsync(), null);
        // From the harness's own thread of control, wait for the start; from inside a harness timer (a scheduled
        // restart), the start simply runs next in the queue.
        if (!Scheduler.IsRunning)
        {
            Scheduler.RunPending();
            while (started is null || !started.IsCompleted)
                Scheduler.RunUntil(Scheduler.Elapsed + TimeSpan.FromMilliseconds(10));
            started.GetAwaiter().GetResult();
        }

        async Task StartAsync()
        {
            var timeNode = await TimeNode.StartAsync(options, transport, clock, _loggerFactory);
            node.Node = timeNode;
            node.DownSince = null;
            int index = node.Index;
            _tips[index] = (timeNode.Chain.State.Height, timeNode.Chain.State.TipHash); // this node's slot: only its lane writes it
            timeNode.Sync.TipChanged += header =>
            {
                OnTipChanged(index, header.Height, header.Hash);
                CheckPlannerBounds(node);
            };
            timeNode.Producer.BlockProduced += block => OnTipChanged(index, block.Header.Height, block.Hash);
        }
    }

    /// <summary>A node's tip moved (on the node's lane: its trace, its own slot of the tips; shared figures under a lock).</summary>
    private void OnTipChanged(int node, long height, Hash256 hash)
    {
        Span<byte> bytes = stackalloc byte[32];
        hash.WriteTo(bytes);
        Trace.TipChanged(Elapsed.Ticks, node, height, bytes);
        var previous = _tips[node];
        // Fork choice: more blocks win; at equal height the lower hash wins. A tip never moves to a chain it prefers less.
        bool preferred = height > previous.Height || (height == previous.Height && hash.CompareTo(previous.Hash) <= 0);
        lock (_metricsGate)
        {
            Metrics.TipChanges++;
            if (!preferred)
                Metrics.InvariantViolations.Add($"{Elapsed}: node {node} moved its tip from {previous.Height}/{previous.Hash} to {height}/{hash}, which fork choice does not prefer");
        }
        _tips[node] = (height, hash);
    }

    /// <summary>Raised at every sample, after the harness's own accounting (scenarios check their invariants here).</summary>
    public event Action? Sampled;

    private void Sample()
    {
        SampleMetrics();
        Sampled?.Invoke();
    }

    private void SampleMetrics()
    {
        var up = _nodes.Where(n => n.IsUp).ToList();
        if (up.Count == 0)
            return;
        var now = Elapsed;
        long best = up.Max(n => n.Node!.Chain.State.Height);
        long worst = up.Min(n => n.Node!.Chain.State.Height);
        Metrics.Spreads.Add((now, best - worst));
        foreach (var node in up)
            Metrics.Lags.Add(new SimulationMetrics.LagSample(now, node.Index, best - node.Node!.Chain.State.Height));

        // The planner's bounds: blocks in flight within the download window, and for each peer within the per-peer cap.
        foreach (var node in up)
            CheckPlannerBounds(node);

        foreach (var node in up)
        {
            var key = (node.Index, node.Incarnation);
            var (lastAt, seen) = _disconnectCursor.GetValueOrDefault(key, (DateTimeOffset.MinValue, []));
            var fresh = node.Node!.Connections.RecentDisconnects.Where(r => r.At > lastAt || (r.At == lastAt && !seen.Contains(r))).ToList();
            foreach (var record in fresh)
                Metrics.Disconnects.Add(new SimulationMetrics.Disconnect(record.At - Scheduler.Epoch - node.Skew, node.Index, record.RemoteEndPoint.Address.ToString(), record.WasWhitelisted, record.Reason, record.Duration));
            if (fresh.Count > 0)
            {
                var newest = fresh.Max(r => r.At);
                var atNewest = fresh.Where(r => r.At == newest).ToHashSet();
                if (newest == lastAt)
                    atNewest.UnionWith(seen);
                _disconnectCursor[key] = (newest, atNewest);
            }
            foreach (var peer in node.Node.Connections.Peers)
                _pongCursor.TryAdd(peer, (node.Index, 0));
        }

        foreach (var (peer, (nodeIndex, last)) in _pongCursor.ToList())
        {
            long total = peer.PingStatistics.TotalMissedPongs;
            long delta = total - last;
            if (delta > 0)
            {
                if (peer.IsWhitelisted && !IsPairFaulted(now, _nodes[nodeIndex].Address, peer.RemoteEndPoint.Address))
                    Metrics.WhitelistedMissedPongs += delta;
                else
                    Metrics.OtherMissedPongs += delta;
            }
            if (peer.IsClosed)
                _pongCursor.Remove(peer);
            else
                _pongCursor[peer] = (nodeIndex, total);
        }
    }

    /// <summary>The planner never exceeds its download window or its per-peer cap (checked at every sample and, while
    /// a node catches up, after every sync round that changed its tip).</summary>
    private void CheckPlannerBounds(SimulatedNode node)
    {
        var status = node.Node!.Sync.GetStatus();
        var planner = node.Node.Options.Sync.Planner;
        // Called on the node's lane (after a tip change) or by the harness: the shared figures under a lock.
        lock (_metricsGate)
        {
            Metrics.MaxBlocksInFlight = Math.Max(Metrics.MaxBlocksInFlight, status.BlocksInFlight);
            Metrics.PlannerChecks++;
            if (status.BlocksInFlight > planner.DownloadWindow)
                Metrics.InvariantViolations.Add($"{Elapsed}: node {node.Index} has {status.BlocksInFlight} blocks in flight (window {planner.DownloadWindow})");
            foreach (var (peer, count) in status.BlocksInFlightPerPeer)
            {
                Metrics.MaxBlocksInFlightPerPeer = Math.Max(Metrics.MaxBlocksInFlightPerPeer, count);
                if (count > planner.MaxBlocksInFlightPerPeer)
                    Metrics.InvariantViolations.Add($"{Elapsed}: node {node.Index} has {count} blocks in flight from peer {peer} (per-peer cap {planner.MaxBlocksInFlightPerPeer})");
            }
        }
    }

    private List<string> PickBootstrap(int index)
    {
        var candidates = Enumerable.Range(0, Options.Masternodes).Where(i => i != index).ToArray();
        _random.Shuffle(candidates);
        return candidates.Take(Options.BootstrapPeers).Select(i => new IPEndPoint(_nodes[i].Address, Port).ToString()).ToList();
    }

    /// <summary>A 32-bit seed derived from the run seed, a purpose and an index (SplitMix64; stable across processes).</summary>
    public static int Derive(int seed, int purpose, int index)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)purpose << 32) ^ (uint)index;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF) ^ (int)(z >> 33);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!Scheduler.IsRunning)
            _sampler?.Dispose();
        foreach (var node in _nodes)
        {
            node.Context?.Kill();
            node.Dispose();
        }
    }
}
