using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Production;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Rpc.Methods;
using TimeCoin.Node.Services;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// One running node: storage, chain, peer policy, masternode registry, connection layer, sync coordinator, block
/// production, heartbeats and (optionally) JSON-RPC, wired together. Everything takes its clock, transport and
/// randomness from outside, so several nodes can run in one process (the devnet) on TCP or in memory.
/// </summary>
public sealed class TimeNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly ILogger _logger;
    private readonly NodeDatabase _db;
    private volatile bool _knownPeersRestored;
    private readonly PolicyPersistence _policyPersistence;
    private readonly MasternodeRegistryPersistence _registryPersistence;
    private readonly TimeProvider _time;
    private JsonRpcServer? _rpc;
    private int _stopped;

    private TimeNode(TimeNodeOptions options, NodeDatabase db, ChainStore chain, PeerPolicy policy, PolicyPersistence policyPersistence,
        HeartbeatRegistry masternodes, MasternodeRegistryPersistence registryPersistence, SyncCoordinator sync,
        ChainSyncService chainSync, ConnectionManager connections, BlockProducer producer, TimeProvider time, ILogger logger)
    {
        Options = options;
        _db = db;
        Chain = chain;
        Policy = policy;
        _policyPersistence = policyPersistence;
        Masternodes = masternodes;
        _registryPersistence = registryPersistence;
        Sync = sync;
        ChainSync = chainSync;
        Connections = connections;
        Producer = producer;
        _time = time;
        _logger = logger;
    }

    /// <summary>The options the node runs with.</summary>
    public TimeNodeOptions Options { get; }

    /// <summary>The chain (block tree + store).</summary>
    public ChainStore Chain { get; }

    /// <summary>Whitelist, bans, rate limits, admission.</summary>
    public PeerPolicy Policy { get; }

    /// <summary>The masternodes this node knows from signed announcements and heartbeats.</summary>
    public HeartbeatRegistry Masternodes { get; }

    /// <summary>The single owner of sync.</summary>
    public SyncCoordinator Sync { get; }

    /// <summary>The handler that serves headers and blocks to every peer.</summary>
    public ChainSyncService ChainSync { get; }

    /// <summary>Listener, dialing, the live peers.</summary>
    public ConnectionManager Connections { get; }

    /// <summary>Block production for the federation keys this node holds.</summary>
    public BlockProducer Producer { get; }

    /// <summary>Alerts, metrics and the Prometheus exporter of this node.</summary>
    public required NodeObservability Observability { get; init; }

    /// <summary>The JSON-RPC endpoint, when RPC is enabled and started.</summary>
    public Uri? RpcUrl => _rpc?.Url;

    /// <summary>Completes when the node has been asked to stop (Ctrl+C, RPC <c>stop</c>) or a core loop failed.</summary>
    public Task StopRequested => _stopRequested.Task;

    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Opens storage, restores state, starts the network, sync, production, heartbeats and RPC.</summary>
    /// <exception cref="DataDirectoryInUseException">Another node runs on the same data directory.</exception>
    /// <exception cref="NodeStartException">The metrics or RPC endpoint cannot be bound, or the cookie file cannot be
    /// written; it says which.</exception>
    public static async Task<TimeNode> StartAsync(TimeNodeOptions options, ITransport transport, TimeProvider time,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        var logger = loggerFactory.CreateLogger<TimeNode>();
        // Overlapped with opening the store: compiling the policy document's serializer, whose first use (applying the
        // config whitelist, or restoring the saved policy) comes before the node dials.
        _ = Task.Run(PolicyPersistence.WarmUpSerializer, CancellationToken.None);
        var db = NodeDatabase.Open(options.DataDirectory, options.Database);
        PolicyPersistence? policyPersistence = null;
        MasternodeRegistryPersistence? registryPersistence = null;
        try
        {
            var chain = ChainStore.Open(db, options.Chain, options.Store);
            var policy = new PeerPolicy(options.Policy, time, loggerFactory.CreateLogger<PeerPolicy>());
            policyPersistence = new PolicyPersistence(policy, db, time, loggerFactory.CreateLogger<PolicyPersistence>());
            policyPersistence.Start();
            // A shared verified-signature cache (the simulation's) also serves the registry; production verifies
            // each heartbeat once anyway (the relay filter drops copies first) and keeps the chain's cache for headers.
            var masternodes = new HeartbeatRegistry(options.Heartbeats, time, options.Chain.NetworkName, options.Store.SignatureCache);
            registryPersistence = new MasternodeRegistryPersistence(masternodes, db, time, loggerFactory.CreateLogger<MasternodeRegistryPersistence>());
            registryPersistence.Start();

            var sync = new SyncCoordinator(chain, options.Sync, time, loggerFactory.CreateLogger<SyncCoordinator>())
            {
                IsKnownMasternode = masternodes.Contains,
            };
            var chainSync = new ChainSyncService(chain, sync, loggerFactory.CreateLogger<ChainSyncService>());
            var connections = new ConnectionManager(transport, options.Identity, options.Chain,
                () => (chain.State.Height, chain.State.TipHash), policy, masternodes, chainSync,
                options.Connections with { IsMasternode = options.IsMasternode }, time, loggerFactory, options.Seed);
            sync.PeerMisbehaved += connections.ReportViolation;

            var alerts = new AlertCenter(time, loggerFactory.CreateLogger<AlertCenter>());
            var status = new NodeStatus(connections, sync, policy, alerts, time, options.SingleNodeDevnet);
            var observability = NodeObservability.Create(alerts, connections, policy, sync, chain.State, masternodes,
                options.Identity.PublicKey.ToShortString(), options.Alerts, time, loggerFactory);
            policyPersistence.SaveCompleted += observability.StoreResults("peer policy");
            registryPersistence.SaveCompleted += observability.StoreResults("masternode registry");
            var producer = new BlockProducer(chain, [options.Identity], status, time, null, loggerFactory.CreateLogger<BlockProducer>());
            producer.BlockProduced += block =>
            {
                sync.RequestSync();
                _ = chainSync.AnnounceAsync(block).AsTask();
            };

            var node = new TimeNode(options, db, chain, policy, policyPersistence, masternodes, registryPersistence, sync, chainSync,
                connections, producer, time, logger) { Observability = observability };
            try
            {
                await node.StartLoopsAsync(status, loggerFactory, cancellationToken);
            }
            catch
            {
                // Whatever had started (listener, loops) stops, and the data directory is released.
                await node.DisposeAsync();
                throw;
            }
            logger.LogInformation("Node started on {Network}: height {Height}, tip {Tip}, node id {NodeId}, listening on {Listen}",
                options.Chain.NetworkName, chain.State.Height, chain.State.TipHash, options.Identity.PublicKey.ToShortString(), connections.LocalEndPoint);
            return node;
        }
        catch
        {
            // Their timers and subscriptions stop before the database closes (the registry's 5-minute save went on
            // writing to the closed database). After a failed StartLoopsAsync the node's stop did all this already.
            registryPersistence?.Dispose();
            policyPersistence?.Dispose();
            db.Dispose();
            throw;
        }
    }

    private async Task StartLoopsAsync(NodeStatus status, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var token = _stopping.Token;
        // Addresses learned in earlier runs (gossip, discovery, inbound): reconnection never starts from nothing.
        var stored = _db.LoadKnownPeers();
        var newest = stored.Max(k => k.LastConnected);
        foreach (var known in stored)
            if (System.Net.IPEndPoint.TryParse(known.Endpoint, out var endpoint) && IsWorthRestoring(known, newest))
                Connections.RestorePeer(endpoint, known.LastConnected);
        _knownPeersRestored = true;
        await Connections.StartAsync(cancellationToken);
        // Every listener is bound before sync and production start: a port in use fails the start before the node
        // has done anything (it produced a block and then failed on a busy RPC port).
        try
        {
            await Observability.StartAsync(Options.MetricsListen, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new NodeStartException(NodeStartSetting.MetricsListen, ex.Message, ex);
        }
        if (Options.Rpc is { } rpcOptions)
        {
            var registry = new RpcMethodRegistry();
            BuiltInRpcMethods.Register(registry, _time);
            NodeRpcMethods.Register(registry, new NodeRpcContext
            {
                Chain = Chain, Database = _db, Policy = Policy, Producer = Producer, Network = status, Sync = status,
            });
            NodeStatusRpcMethods.Register(registry, this);
            _rpc = new JsonRpcServer(rpcOptions, registry, loggerFactory.CreateLogger<JsonRpcServer>());
            try
            {
                await _rpc.StartAsync(cancellationToken);
            }
            catch (RpcCookieFileException ex)
            {
                throw new NodeStartException(NodeStartSetting.RpcCookieFile, ex.Message, ex);
            }
            catch (IOException ex)
            {
                throw new NodeStartException(NodeStartSetting.RpcEndPoint, ex.Message, ex);
            }
            _logger.LogInformation("JSON-RPC listening on {Url} (cookie {Cookie})", _rpc.Url, rpcOptions.CookieFilePath);
        }
        Sync.Start();
        _loops.Add(Watch("sync", Sync.Completion));
        _loops.Add(Watch("production", Producer.RunAsync(token)));
        _loops.Add(Watch("masternode registry", EvaluateRegistryAsync(token)));
        if (Options.IsMasternode)
        {
            if (AnnouncedAddress() is { } announced && (announced.Address.Equals(System.Net.IPAddress.Any) || announced.Address.Equals(System.Net.IPAddress.IPv6Any)))
                _logger.LogWarning("This masternode announces {Address}, which peers cannot check against the connection; set [p2p] external_address to the public IP", announced);
            var heartbeats = new MasternodeHeartbeatService(Options.Identity, Options.Chain.NetworkName,
                () => AnnouncedAddress()?.ToString() ?? "0.0.0.0:0",
                Options.Tier, () => Chain.State.Height, Masternodes,
                message => { Connections.Broadcast(message); return ValueTask.CompletedTask; },
                _time, Options.Heartbeats.HeartbeatInterval, loggerFactory.CreateLogger<MasternodeHeartbeatService>());
            _loops.Add(Watch("heartbeats", heartbeats.RunAsync(token)));
        }
    }

    /// <summary>The address a masternode announces: the configured external address, else the listen endpoint.</summary>
    private System.Net.IPEndPoint? AnnouncedAddress() => Options.Connections.AdvertisedEndPoint ?? Connections.LocalEndPoint;

    private async Task EvaluateRegistryAsync(CancellationToken token)
    {
        long rounds = 0;
        try
        {
            // At once too: the registry restored at start keeps the statuses it saved, and a masternode that went
            // silent while this node was down must not show active until the first interval passed (found by the
            // whole-network simulation, scenario f).
            Masternodes.Evaluate();
            while (true)
            {
                await Task.Delay(Options.Heartbeats.EvaluateInterval, _time, token);
                Masternodes.Evaluate();
                if (++rounds % 10 == 0)
                    SaveKnownPeers();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task Watch(string name, Task loop)
    {
        try
        {
            await loop;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            if (ex is ChainStoreFailedException)
                Observability.AlertMonitor.OnStoreFailed("chain", ex);
            _logger.LogCritical(ex, "The {Loop} loop failed; the node stops", name);
            Failed = true;
            RequestStop();
        }
    }

    /// <summary>
    /// A stored address with this many failed dials is not taken back at start, unless it gave us a connection within
    /// <see cref="KnownPeerProvedFor"/> of the newest connection any stored address gave (as Bitcoin Core's address
    /// manager gives up on an address with 10 failures and no success in a week).
    /// </summary>
    public const int KnownPeerFailureLimit = 10;

    /// <summary>How long a connection proves a stored address for <see cref="KnownPeerFailureLimit"/>: 7 days.</summary>
    public static readonly TimeSpan KnownPeerProvedFor = TimeSpan.FromDays(7);

    /// <summary>
    /// Whether a stored address goes back into the address book at start. The week is counted back from the newest
    /// connection any stored address gave, not from now: a node whose own network was down (every dial failing, so
    /// every address past the failure limit) or that was off for a month keeps the peers it had.
    /// </summary>
    internal static bool IsWorthRestoring(KnownPeerRow known, DateTimeOffset? newestConnection) =>
        known.Failures < KnownPeerFailureLimit
        || (known.LastConnected is { } at && newestConnection is { } newest && at >= newest - KnownPeerProvedFor);

    /// <summary>
    /// Saves the address book as the stored known peers: rows of addresses the book no longer holds are deleted, so
    /// the table stays as bounded as the book. Not before the stored ones were read back into the book (a start that
    /// fails earlier must not wipe them).
    /// </summary>
    private void SaveKnownPeers()
    {
        if (!_knownPeersRestored)
            return;
        var now = _time.GetUtcNow();
        _db.ReplaceKnownPeers(Connections.GetKnownAddresses().Select(k =>
            new KnownPeerRow(k.EndPoint.ToString(), k.Source.ToString().ToLowerInvariant(), now, k.LastConnectedAt, k.Failures)));
    }

    /// <summary>True when the node stopped because a core loop failed (the host exits non-zero).</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// Asks the node to stop; <see cref="StopRequested"/> completes and the host calls <see cref="DisposeAsync"/>. From
    /// now on the node raises no alerts about its peers or its sync (it is closing them, or they stop with it, as on a
    /// devnet that stops all its nodes), and the loss of a whitelisted peer is logged at Information, not Critical; a
    /// store failing still raises <c>store_failing</c>.
    /// </summary>
    public void RequestStop()
    {
        Observability.AlertMonitor.OnNodeStopping();
        Connections.OnNodeStopping();
        _stopRequested.TrySetResult();
    }

    /// <summary>
    /// Stops every loop, closes connections, saves state and releases the data directory. Every step runs even when
    /// one fails (a store that failed, a listener that throws on close): the failure is logged and the stop goes on,
    /// so the last saves are attempted and the data directory is always released. Does not throw.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        await StopStep("request stop", () => { RequestStop(); return ValueTask.CompletedTask; });
        await StopStep("cancel the loops", () => new ValueTask(_stopping.CancelAsync()));
        if (_rpc is { } rpc)
            await StopStep("stop RPC", rpc.DisposeAsync);
        await StopStep("save known peers", () => { SaveKnownPeers(); return ValueTask.CompletedTask; });
        await StopStep("stop alerts and metrics", Observability.DisposeAsync);
        await StopStep("close connections", Connections.DisposeAsync);
        await StopStep("stop sync", Sync.DisposeAsync);
        await StopStep("wait for the loops", () => new ValueTask(Task.WhenAll(_loops)));
        await StopStep("save the peer policy", () => { _policyPersistence.Dispose(); return ValueTask.CompletedTask; });
        await StopStep("save the masternode registry", () => { _registryPersistence.Dispose(); return ValueTask.CompletedTask; });
        await StopStep("close the database", () => { _db.Dispose(); return ValueTask.CompletedTask; });
        _stopping.Dispose();
        _logger.LogInformation("Node stopped at height {Height}", Chain.State.Height);
    }

    private async ValueTask StopStep(string step, Func<ValueTask> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Stopping the node: {Step} failed; the stop goes on", step);
        }
    }
}
