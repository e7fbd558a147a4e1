using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Liveness;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Discovery;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Connections;

/// <summary>
/// Owns every connection of a node: the listener (banned addresses refused at accept, before any handshake;
/// admission and eviction by the <see cref="PeerPolicy"/>), the dialer (keeps <see cref="ConnectionManagerOptions.TargetOutbound"/>
/// ordinary outbound peers, dials manual entries always and at most <see cref="ConnectionManagerOptions.MaxAutomaticOutbound"/>
/// automatic entries (masternodes, discovered peers; see <see cref="DialSetSelector"/>) plus up to
/// <see cref="ConnectionManagerOptions.LostPeerRedialSlots"/> peers it lost, reconnects with <see cref="ReconnectBackoff"/>
/// and no retry limit, except that an address learned from the network that never connected is dropped after
/// <see cref="UnansweredDialLimit"/> dials), the <see cref="ConnectionRegistry"/> keyed by node id with deterministic duplicate
/// resolution, discovery, and the connection-level services (peer addresses, masternode announcements and heartbeats
/// with relay-once gossip, trickled in batches: see <see cref="ConnectionManagerOptions.GossipTrickleInterval"/>).
/// Every other message goes to the single <see cref="IPeerMessageHandler"/>, whatever the
/// direction of the connection.
/// </summary>
public sealed partial class ConnectionManager : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly KeyPair _identity;
    private readonly ChainParameters _chain;
    private readonly NetworkMagic _magic;
    private readonly Func<(long Height, Hash256 Tip)> _bestChain;
    private readonly HeartbeatRegistry _masternodes;
    private readonly IPeerMessageHandler _handler;
    private readonly ConnectionManagerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly ConnectionRegistry _registry;
    private readonly RecentHashFilter _relayFilter;
    private readonly MasternodeGossipQueue _gossip = new();
    private readonly MasternodeWhitelist? _masternodeWhitelist;
    private readonly IReadOnlyList<WhitelistSpec> _configWhitelist;
    private readonly IReadOnlyList<IpRange> _configBlacklist;
    private readonly IReadOnlyList<IPEndPoint> _bootstrap;
    private readonly IReadOnlyList<IPEndPoint> _persistent;
    private readonly object _gate = new();
    private readonly Dictionary<IPEndPoint, KnownAddress> _addresses = new();
    private readonly SortedSet<KnownAddress> _evictable = new(KnownAddress.ByEviction); // the gossiped entries, never connected first, then oldest first
    private readonly List<KnownAddress> _lost = []; // lost peers (LostAt set), at most 4 × MaxAutomaticOutbound, for at most a day, oldest first
    private long _addressSequence;
    // Counts every change of the book that can change the dial round's answer (an address added, forgotten, or its source,
    // next attempt or busy flag changed); see AnyDueCandidate.
    private readonly System.Runtime.CompilerServices.StrongBox<long> _bookVersion = new();
    // The last pass of AnyDueCandidate that found nothing to dial: the book's and the whitelist's versions then, and the
    // earliest time one of the addresses it passed over falls due.
    private (long Book, long Whitelist, DateTimeOffset Until)? _nothingDue;
    private readonly Dictionary<PublicKey, byte[]> _announcements = new();
    private readonly Queue<DisconnectRecord> _disconnects = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly CancellationTokenSource _stopping = new();
    private bool _nodeStopping;
    private readonly CancellationTokenSource _abortHandshakes = new();
    private DateTimeOffset _goodbyeDeadline; // set with the stop flag: the one deadline of every goodbye of a stop
    private readonly ConcurrentDictionary<TaskCompletionSource, byte> _handshakes = new();
    private readonly object _stopGate = new(); // orders "a handshake starts" against "the stop begins"
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConnectionListener? _listener;
    private HttpClient? _ownedHttpClient;
    // Inbound handshakes in progress: per pool (ordinary, whitelisted) and per IP, under _pendingGate.
    private readonly object _pendingGate = new();
    // Orders the inbound admission of a handshaken connection (and its eviction) with its registration.
    private readonly object _admissionGate = new();
    private readonly Dictionary<IPAddress, int> _pendingByIp = new();
    private int _pendingOrdinary;
    private int _pendingWhitelisted;
    // The Warning for inbound connections refused because handshakes are pending is written at most once a minute,
    // with the number refused since the last one: a flood of connections must not flood the log.
    private DateTimeOffset _pendingWarningAt = DateTimeOffset.MinValue;
    private long _pendingRefusedUnlogged;
    private long _refusedInbound;
    private int _started;
    private int _stopped;

    /// <summary>Creates a manager; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="transport">TCP in production, in-memory in tests and simulations.</param>
    /// <param name="identity">Our node key (node id and handshake proof).</param>
    /// <param name="chain">Network name, magic and genesis checked in handshakes.</param>
    /// <param name="bestChain">Our best height and tip, read for handshakes and pongs.</param>
    /// <param name="policy">Whitelist, bans, violations, rate limits, admission.</param>
    /// <param name="masternodes">Where announcements and heartbeats are accepted.</param>
    /// <param name="handler">The node's handler for every message the connection layer does not serve itself.</param>
    /// <param name="options">Listen endpoint, targets, lists, discovery; see <see cref="ConnectionManagerOptions"/>.</param>
    /// <param name="time">The clock for timeouts, liveness, backoff and discovery.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="seed">Seed of the randomness (jitter, nonces, address choice), so simulations are reproducible.</param>
    /// <exception cref="ArgumentException">The options are invalid, or a list entry does not parse; the message names each.</exception>
    public ConnectionManager(ITransport transport, KeyPair identity, ChainParameters chain, Func<(long Height, Hash256 Tip)> bestChain,
        PeerPolicy policy, HeartbeatRegistry masternodes, IPeerMessageHandler handler, ConnectionManagerOptions options,
        TimeProvider time, ILoggerFactory loggerFactory, int seed)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(bestChain);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(masternodes);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var errors = options.Validate().ToList();
        _configWhitelist = ParseAll(options.WhitelistedPeers, "whitelisted_peers", errors, (string text, out WhitelistSpec? spec, out string error) => WhitelistSpec.TryParse(text, out spec, out error));
        _configBlacklist = ParseAll(options.BlacklistedPeers, "blacklisted_peers", errors, (string text, out IpRange? range, out string error) => IpRange.TryParse(text, out range, out error));
        _bootstrap = ParseEndpoints(options.BootstrapPeers, "bootstrap_peers", options.DefaultPort, errors);
        _persistent = ParseEndpoints(options.PersistentPeers, "persistent_peers", options.DefaultPort, errors);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid connection options: " + string.Join(" ", errors), nameof(options));

        _transport = transport;
        _identity = identity;
        _chain = chain;
        _magic = NetworkMagic.For(chain);
        _bestChain = bestChain;
        Policy = policy;
        _masternodes = masternodes;
        _handler = handler;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ConnectionManager>();
        _random = new Random(seed);
        _registry = new ConnectionRegistry(identity.PublicKey);
        _relayFilter = new RecentHashFilter(options.RelayFilterCapacity);
        _masternodes.MasternodeRemoved += OnMasternodeRemoved;
        _masternodes.MasternodeAddressChanged += OnMasternodeAddressChanged;
        Policy.AuditRecorded += OnPolicyChanged;
        if (options.AutoWhitelistMasternodes)
            _masternodeWhitelist = new MasternodeWhitelist(policy, masternodes, id => FindPeer(id)?.RemoteEndPoint.Address,
                loggerFactory.CreateLogger<MasternodeWhitelist>());
    }

    private delegate bool TryParser<T>(string text, out T? value, out string error);

    /// <summary>A connection closed (after its handshake); raised once per connection, on the connection's thread.</summary>
    public event Action<DisconnectRecord>? PeerDisconnected;

    /// <summary>
    /// A registered connection's loop ended and everything it held is released (its registry entry; its node's
    /// rate-limit buckets, released to its address, when it was the node's last connection). Later than <see cref="PeerDisconnected"/>, which is
    /// raised when the close begins; for tests that must see the cleanup done.
    /// </summary>
    internal event Action<PeerConnection>? ConnectionEnded;

    /// <summary>The peer policy this manager enforces.</summary>
    public PeerPolicy Policy { get; }

    /// <summary>Our node id.</summary>
    public PublicKey NodeId => _identity.PublicKey;

    /// <summary>The endpoint the listener is bound to (with the real port), or null when not listening.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>
    /// The live connections, ordered by node id. The list is never changed afterwards; while the set of connections
    /// stays the same, every call returns the same one.
    /// </summary>
    public IReadOnlyList<PeerConnection> Peers
    {
        get
        {
            var snapshot = _registry.Snapshot();
            var view = Volatile.Read(ref _peersView);
            if (view is not null && ReferenceEquals(view.Item1, snapshot))
                return view.Item2;
            var peers = snapshot.Cast<PeerConnection>().ToArray();
            Volatile.Write(ref _peersView, Tuple.Create(snapshot, peers));
            return peers;
        }
    }

    // The registry's snapshot that Peers last converted, and the result.
    private Tuple<IReadOnlyList<IPeer>, PeerConnection[]>? _peersView;

    /// <summary>Number of live inbound connections.</summary>
    public int InboundCount => _registry.InboundCount;

    /// <summary>Number of live outbound connections.</summary>
    public int OutboundCount => _registry.OutboundCount;

    /// <summary>
    /// Inbound connections refused: at accept (banned, admission, too many handshakes), or after their handshake when
    /// the inbound slots filled meanwhile and nobody could be evicted.
    /// </summary>
    public long RefusedInboundCount => Interlocked.Read(ref _refusedInbound);

    /// <summary>Addresses known for dialing.</summary>
    public int KnownAddressCount { get { lock (_gate) return _addresses.Count; } }

    /// <summary>The most recent disconnects, oldest first (bounded by <see cref="ConnectionManagerOptions.DisconnectHistorySize"/>).</summary>
    public IReadOnlyList<DisconnectRecord> RecentDisconnects { get { lock (_gate) return _disconnects.ToArray(); } }

    /// <summary>The connection to <paramref name="nodeId"/>, or null.</summary>
    public PeerConnection? FindPeer(PublicKey nodeId) => _registry.Find(nodeId) as PeerConnection;

    /// <summary>A snapshot of every live connection for RPC.</summary>
    public IReadOnlyList<PeerInfo> GetPeerInfos()
    {
        var now = _time.GetUtcNow();
        return Peers.Select(p =>
        {
            var ping = p.PingStatistics;
            return new PeerInfo(p.PeerId, p.NodeId, p.RemoteEndPoint, p.IsInbound, p.Permissions, p.IsWhitelisted, p.IsMasternode,
                _masternodes.Find(p.NodeId) is not null, p.ConnectedAt, now - p.ConnectedAt, ping.LastRtt, ping.AverageRtt, ping.MissedPongs,
                p.BestHeight, p.TipHash, p.BytesSent, p.BytesReceived, p.MessagesSent, p.MessagesReceived, p.Remote.UserAgent);
        }).ToArray();
    }

    /// <summary>
    /// Applies the config lists (whitelist, blacklist) to the policy, binds the listener (when configured) and starts
    /// the accept loop, the dialer and discovery. Returns once the listener is bound; discovery never delays it.
    /// </summary>
    /// <exception cref="TransportException">The listen endpoint cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("The connection manager was already started.");
        Policy.ReplaceWhitelistWithSpecs(WhitelistSource.Config, _configWhitelist, "config whitelisted_peers");
        foreach (var spec in _configWhitelist)
            _logger.LogInformation("Whitelisted peer from config: {Ip}", spec.Range);
        _masternodeWhitelist?.ResetEntries();
        foreach (var lifted in Policy.ReplaceBans(BanSource.Config, _configBlacklist, "config blacklisted_peers"))
            _logger.LogInformation("Lifted the config ban on {Range}: no longer in blacklisted_peers", lifted);
        foreach (var spec in _configWhitelist.Where(s => s.Range.IsSingleAddress))
            AddAddress(new IPEndPoint(spec.Range.Network, _options.DefaultPort), AddressSource.Persistent);
        foreach (var endpoint in _persistent)
            AddAddress(endpoint, AddressSource.Persistent);
        if (_options.DiscoveryUrl is null)
            AddBootstrapPeers("no discovery URL configured");

        if (_options.ListenEndPoint is { } listen)
        {
            _listener = await _transport.ListenAsync(listen, cancellationToken);
            _logger.LogInformation("Listening for peers on {EndPoint} ({Network})", _listener.LocalEndPoint, _chain.NetworkName);
            Track(AcceptLoopAsync(_listener, _stopping.Token));
        }
        Track(DialLoopAsync(_stopping.Token));
        Track(GossipTrickleLoopAsync(_stopping.Token));
        if (_options.DiscoveryUrl is { } url)
            Track(DiscoveryLoopAsync(url, _stopping.Token));
    }

    /// <summary>
    /// Stops listening and dialing, closes every connection and waits for their loops to end. Goodbyes, and handshakes
    /// in progress, get <see cref="ConnectionManagerOptions.GoodbyeTimeout"/> from the start of the stop, all of them
    /// together: a handshake that completes late gets what is left of it for its goodbye, not a timeout of its own.
    /// </summary>
    public async Task StopAsync()
    {
        lock (_stopGate)
        {
            if (_stopped != 0)
                return;
            _goodbyeDeadline = _time.GetUtcNow() + _options.GoodbyeTimeout;
            Volatile.Write(ref _stopped, 1); // from now on no handshake starts (see TryBeginHandshake)
        }
        if (_listener is not null)
            await _listener.DisposeAsync();
        await SayGoodbyeAsync("node stopping");
        await _abortHandshakes.CancelAsync();
        await _stopping.CancelAsync();
        foreach (var peer in Peers)
            peer.Disconnect("node stopping");
        await Task.WhenAll(_tasks.Keys);
        _masternodes.MasternodeRemoved -= OnMasternodeRemoved;
        _masternodes.MasternodeAddressChanged -= OnMasternodeAddressChanged;
        Policy.AuditRecorded -= OnPolicyChanged;
        _masternodeWhitelist?.Dispose();
        _ownedHttpClient?.Dispose();
    }

    /// <summary>
    /// Closes every peer in order (goodbye, drain) and lets handshakes in progress end, waiting until the stop's
    /// goodbye deadline (<see cref="ConnectionManagerOptions.GoodbyeTimeout"/> from its start). Called once the stop flag is set, so no handshake starts
    /// any more and the set of handshakes only shrinks. A handshake stays in that set until its peer is registered, so
    /// a peer that registers after the first list was taken is found in a later round and gets its goodbye too: every
    /// peer registered when this returns got a goodbye (or the timeout ended the wait). A handshake that completes while
    /// the node stops says goodbye at once (see <see cref="RunConnectionAsync"/>): the remote may have finished its side
    /// already and count the connection as live, so cutting it off in the middle would read as a failure there.
    /// </summary>
    private async Task SayGoodbyeAsync(string reason)
    {
        var first = Peers;
        if (first.Count == 0 && _handshakes.IsEmpty)
            return;
        using var cancel = new CancellationTokenSource();
        var deadline = Task.Delay(GoodbyeTimeLeft(), _time, cancel.Token);
        _logger.LogInformation("Stopping: saying goodbye to {Count} peers, {Handshakes} handshakes in progress", first.Count, _handshakes.Count);
        var told = new HashSet<PeerConnection>(ReferenceEqualityComparer.Instance);
        for (var peers = first; !deadline.IsCompleted; peers = Peers)
        {
            var goodbyes = peers.Where(told.Add).Select(p => p.CloseWithGoodbyeAsync(reason));
            var handshakes = _handshakes.Keys.Select(h => h.Task);
            var round = goodbyes.Concat(handshakes).ToArray();
            if (round.Length == 0)
                break;
            await Task.WhenAny(Task.WhenAll(round), deadline);
        }
        await cancel.CancelAsync();
        try
        {
            await deadline;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>What is left of the stop's goodbye deadline (zero once it passed).</summary>
    private TimeSpan GoodbyeTimeLeft()
    {
        var left = _goodbyeDeadline - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        _abortHandshakes.Dispose();
    }

    /// <summary>Every address known for dialing, for the node to persist (so a restart does not start from nothing).</summary>
    public IReadOnlyList<KnownPeer> GetKnownAddresses()
    {
        lock (_gate)
            return _addresses.Values.Select(a => new KnownPeer(a.EndPoint, a.Source, a.LastConnectedAt, a.Failures)).ToArray();
    }

    /// <summary>
    /// Adds an address to dial; persistent ones are dialed always and never given up (as Bitcoin Core's <c>addnode</c>).
    /// Others count as learned from the network: dropped after <see cref="UnansweredDialLimit"/> failed dials if they
    /// never gave a connection (while some peer is connected).
    /// </summary>
    public void AddPeer(IPEndPoint endpoint, bool persistent)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        AddAddress(endpoint, persistent ? AddressSource.Persistent : AddressSource.Gossip);
        Wake();
    }

    /// <summary>
    /// Restores an address a node stored in an earlier run, with when it last gave us a connection (null: never). A
    /// stored address that has connected before is not dropped for failing to answer now (<see cref="UnansweredDialLimit"/>):
    /// after a restart its peer may simply be down for a while.
    /// </summary>
    public void RestorePeer(IPEndPoint endpoint, DateTimeOffset? lastConnectedAt)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        AddAddress(endpoint, AddressSource.Gossip, lastConnectedAt);
        Wake();
    }

    /// <summary>Closes the connection of <paramref name="peerId"/> (node id hex); false when not connected.</summary>
    public bool Disconnect(string peerId, string reason)
    {
        var peer = Peers.FirstOrDefault(p => string.Equals(p.PeerId, peerId, StringComparison.OrdinalIgnoreCase));
        peer?.Disconnect(reason);
        return peer is not null;
    }

    /// <summary>
    /// Queues <paramref name="message"/> to every connected peer except <paramref name="except"/> without waiting
    /// (a peer whose send queue is full misses it). Returns the number of peers it was queued to. The node uses it
    /// for its own heartbeats, announcements and block announcements. A heartbeat or announcement is not sent at once:
    /// it goes to every peer (but <paramref name="except"/>) in the next gossip flush, batched with the relays
    /// (within <see cref="ConnectionManagerOptions.GossipTrickleInterval"/> × 1.5); the count is then the peers
    /// connected now.
    /// </summary>
    public int Broadcast(NetworkMessage message, IPeer? except = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is MasternodeAnnouncementMessage a)
            return QueueOwnGossip(a.Announcement, isAnnouncement: true, except);
        if (message is HeartbeatMessage h)
            return QueueOwnGossip(h.Heartbeat, isAnnouncement: false, except);
        int sent = 0;
        foreach (var peer in Peers)
        {
            if (!ReferenceEquals(peer, except) && peer.TrySend(message))
                sent++;
        }
        return sent;
    }

    // ------------------------------------------------------------------ called by PeerConnection

    internal (long Height, Hash256 Tip) BestChain() => _bestChain();

    /// <summary>The bound on any height a peer claims now (see <see cref="ChainParameters.MaxPlausibleHeight"/>).</summary>
    internal long MaxPlausibleHeight() => _chain.MaxPlausibleHeight(_time.GetUtcNow());

    /// <summary>
    /// Records a violation by <paramref name="peer"/> in the policy and carries out the outcome exactly as for a
    /// protocol violation: a disconnect closes this connection, a ban closes every connection from that IP. For the
    /// node's own findings (invalid blocks, unrequested data) as well as the connection layer's.
    /// </summary>
    public void ReportViolation(IPeer peer, ViolationKind kind, string detail)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var outcome = Policy.RecordViolation(peer.RemoteEndPoint.Address, kind, detail);
        CarryOut(peer.RemoteEndPoint.Address, peer, $"{kind}: {detail}", outcome);
    }

    /// <summary>
    /// The node was asked to stop (its host calls this before it begins to close anything): from now on the loss of a
    /// whitelisted peer is logged at Information, not Critical, since the node is closing its connections itself and
    /// peers stopping with it may close first (a goodbye can lose the race with their close). Disconnects are still
    /// recorded and raised as <see cref="PeerDisconnected"/>. <see cref="StopAsync"/> implies it.
    /// </summary>
    public void OnNodeStopping() => Volatile.Write(ref _nodeStopping, true);

    internal void OnPeerClosing(PeerConnection peer, string reason)
    {
        var now = _time.GetUtcNow();
        bool whitelisted = Policy.IsWhitelisted(peer.RemoteEndPoint.Address);
        var record = new DisconnectRecord(peer.PeerId, peer.RemoteEndPoint, peer.IsInbound, whitelisted, reason, now, now - peer.ConnectedAt)
        {
            ClosedByGoodbye = peer.ClosedByGoodbye,
            AdvertisedEndPoint = peer.AdvertisedEndPoint,
        };
        lock (_gate)
        {
            _disconnects.Enqueue(record);
            while (_disconnects.Count > _options.DisconnectHistorySize)
                _disconnects.Dequeue();
        }
        PeerDisconnected?.Invoke(record);
        // The event the analysis counts: the last connection to a whitelisted peer lost for a reason other than an
        // orderly close (our stop, its goodbye, a duplicate closed while the other connection stays).
        bool orderly = peer.ClosedByGoodbye || reason is "node stopping" or "duplicate" || Volatile.Read(ref _nodeStopping)
                       || _stopping.IsCancellationRequested;
        bool last = _registry.Find(peer.NodeId) is not { } kept || ReferenceEquals(kept, peer);
        if (whitelisted && !orderly && last)
            _logger.LogCritical("Whitelisted peer {PeerId} at {Ip} disconnected ({Direction}): {Reason}",
                peer.NodeId.ToShortString(), peer.RemoteEndPoint, peer.IsInbound ? "inbound" : "outbound", reason);
        else
            _logger.LogInformation("Peer {PeerId} at {Ip} disconnected ({Direction}): {Reason}",
                peer.NodeId.ToShortString(), peer.RemoteEndPoint, peer.IsInbound ? "inbound" : "outbound", reason);
    }

    internal async ValueTask DispatchAsync(PeerConnection peer, NetworkMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case GetPeersMessage:
                await peer.SendAsync(new PeersMessage(GoodAddresses(peer)), cancellationToken);
                return;
            case PeersMessage peers:
                bool learned = false;
                foreach (var endpoint in peers.Peers.Take(ProtocolLimits.MaxPeersPerMessage))
                    learned |= AddAddress(endpoint, AddressSource.Gossip);
                if (learned)
                    Wake(); // the dialer sleeps until something is due: a new candidate is
                return;
            case MasternodeAnnouncementMessage announcement:
                HandleAnnouncement(peer, announcement.Announcement, relay: true);
                return;
            case MasternodesMessage list:
                // A bulk list (the reply to our GetMasternodes: the connection drops any other) is taken but not relayed
                // item by item: one message must not turn into thousands of relays. New masternodes spread by their own
                // announcements. Each item not seen before takes a MasternodeAnnouncement token, as a gossip item does.
                foreach (var bytes in list.Announcements)
                {
                    if (peer.IsClosed)
                        return; // banned or dropped for a forged entry: the rest is not verified (and scored) again
                    HandleAnnouncement(peer, bytes, relay: false);
                }
                return;
            case HeartbeatMessage heartbeat:
                HandleHeartbeat(peer, heartbeat.Heartbeat);
                return;
            case MasternodeGossipMessage batch:
                HandleGossipBatch(peer, batch);
                return;
            case GetMasternodesMessage:
                byte[][] known;
                lock (_gate)
                    known = _announcements.Values.Take(ProtocolLimits.MaxMasternodesPerMessage).ToArray();
                await peer.SendAsync(new MasternodesMessage(known.Select(b => (ReadOnlyMemory<byte>)b).ToArray()), cancellationToken);
                return;
            default:
                await _handler.OnMessageAsync(peer, message, cancellationToken);
                return;
        }
    }

    // ------------------------------------------------------------------ connections

    private LocalNodeInfo LocalInfo(IPEndPoint? listen, long height, Hash256 tip) => new(
        LocalNodeInfo.CurrentProtocolVersion, LocalNodeInfo.MinimumSupportedProtocolVersion, _magic, _chain.NetworkName, _chain.GenesisHash,
        _identity.PublicKey, listen, (ulong)Math.Max(0, height), tip, _options.IsMasternode, _options.UserAgent);

    private ulong NextRandom()
    {
        lock (_random)
            return (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63);
    }

    private void Track(Task task)
    {
        _tasks.TryAdd(task, 0);
        _ = task.ContinueWith(t => _tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task AcceptLoopAsync(IConnectionListener listener, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            ITransportConnection? connection;
            try
            {
                connection = await listener.AcceptAsync(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Accepting a connection failed");
                continue;
            }
            if (connection is null)
                return;
            PendingHandshake? pending = null;
            try
            {
                pending = Admit(connection);
                if (pending is null)
                {
                    Interlocked.Increment(ref _refusedInbound);
                    connection.Close();
                    await connection.DisposeAsync();
                    continue;
                }
                Track(RunConnectionAsync(connection, pending, null, token));
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Admitting a connection from {Ip} failed", connection.RemoteEndPoint);
                if (pending is not null)
                    ReleasePending(pending);
                connection.Close();
            }
        }
    }

    /// <summary>
    /// Decides an accepted connection: null when refused, otherwise its place among the pending handshakes (to be
    /// released by <see cref="RunConnectionAsync"/> when the handshake ends). Banned addresses are refused first; then
    /// the pending limits (<see cref="ConnectionManagerOptions.MaxPendingInboundHandshakesPerIp"/> for the IP, and
    /// <see cref="ConnectionManagerOptions.MaxPendingInboundHandshakes"/> for its pool: whitelisted addresses have a
    /// pool of their own, so connections that never handshake cannot lock them out); then the policy's admission.
    /// </summary>
    private PendingHandshake? Admit(ITransportConnection connection)
    {
        var ip = connection.RemoteEndPoint.Address;
        if (Policy.IsBanned(ip))
        {
            _logger.LogDebug("Refused inbound connection from banned {Ip}", ip);
            return null;
        }
        var pending = TryReservePending(ip, Policy.IsWhitelisted(ip), out string? refusal);
        if (pending is null)
        {
            LogPendingRefusal(ip, refusal!);
            return null;
        }
        try
        {
            if (AdmitByPolicy(ip))
                return pending;
        }
        catch
        {
            ReleasePending(pending);
            throw;
        }
        ReleasePending(pending);
        return null;
    }

    /// <summary>
    /// The policy's admission at accept: refused when it rejects (banned, the IP's inbound limit, full with nobody to
    /// evict). When it would evict, nobody is evicted yet: that waits for the handshake (<see cref="AdmitHandshaken"/>),
    /// so a connection that never completes one cannot push out a peer.
    /// </summary>
    private bool AdmitByPolicy(IPAddress ip)
    {
        var decision = Policy.EvaluateInbound(ip, ConnectedPeers(except: null));
        if (decision.Action != AdmissionAction.Reject)
            return true;
        _logger.LogInformation("Refused inbound connection from {Ip}: {Reason}", ip, decision.RejectReason);
        return false;
    }

    /// <summary>
    /// The policy's admission of an inbound connection whose handshake just succeeded, against the live connections
    /// (but <paramref name="peer"/>'s own node's, which it replaces): evicts the policy's victim when the slots are
    /// full, or refuses <paramref name="peer"/> (false, with why) when nothing can be evicted. Called under
    /// <see cref="_admissionGate"/>, so two handshakes that complete together cannot both take the last slot. A
    /// connection that will lose as a duplicate of the one registered for its node takes no slot and evicts nobody.
    /// </summary>
    private bool AdmitHandshaken(PeerConnection peer, out string? refusal)
    {
        refusal = null;
        if (peer.NodeId == NodeId)
            return true; // the registry turns it away
        var existing = _registry.Find(peer.NodeId);
        if (existing is not null && !ReferenceEquals(existing, peer) && ConnectionRegistry.ShouldKeepExisting(NodeId, existing, peer))
            return true; // a duplicate that loses: closed by Register
        var ip = peer.RemoteEndPoint.Address;
        var decision = Policy.EvaluateInbound(ip, ConnectedPeers(except: existing));
        switch (decision.Action)
        {
            case AdmissionAction.Reject:
                refusal = decision.RejectReason.ToString();
                return false;
            case AdmissionAction.AdmitEvicting:
                var victim = Peers.FirstOrDefault(p => p.PeerId == decision.EvictPeerId && !p.IsClosed);
                victim?.Disconnect($"evicted to admit an inbound connection from {ip}");
                return true;
            default:
                return true;
        }
    }

    /// <summary>The live connections (not closing) as the policy sees them, but <paramref name="except"/>.</summary>
    private ConnectedPeer[] ConnectedPeers(IPeer? except) =>
        Peers.Where(p => !p.IsClosed && !ReferenceEquals(p, except))
            .Select(p => new ConnectedPeer(p.PeerId, p.RemoteEndPoint.Address, p.IsInbound, p.ConnectedAt,
                _masternodes.Find(p.NodeId) is not null, p.Permissions))
            .ToArray();

    /// <summary>An inbound connection's place among the pending handshakes (its IP and pool), released once.</summary>
    private sealed class PendingHandshake(IPAddress ip, bool whitelisted)
    {
        private int _released;

        public IPAddress Ip { get; } = ip;

        public bool Whitelisted { get; } = whitelisted;

        public bool TryMarkReleased() => Interlocked.Exchange(ref _released, 1) == 0;
    }

    /// <summary>Takes a pending-handshake place for <paramref name="remote"/>, or null (and why) when a limit is reached.</summary>
    private PendingHandshake? TryReservePending(IPAddress remote, bool whitelisted, out string? refusal)
    {
        var ip = IpRange.Normalize(remote);
        lock (_pendingGate)
        {
            _pendingByIp.TryGetValue(ip, out int fromIp);
            if (fromIp >= _options.MaxPendingInboundHandshakesPerIp && !IPAddress.IsLoopback(ip))
            {
                refusal = $"{fromIp} handshakes already pending from that address";
                return null;
            }
            int pool = whitelisted ? _pendingWhitelisted : _pendingOrdinary;
            if (pool >= _options.MaxPendingInboundHandshakes)
            {
                refusal = $"{pool} {(whitelisted ? "whitelisted " : "")}handshakes already pending";
                return null;
            }
            _pendingByIp[ip] = fromIp + 1;
            if (whitelisted)
                _pendingWhitelisted++;
            else
                _pendingOrdinary++;
        }
        refusal = null;
        return new PendingHandshake(ip, whitelisted);
    }

    private void ReleasePending(PendingHandshake pending)
    {
        if (!pending.TryMarkReleased())
            return;
        lock (_pendingGate)
        {
            if (_pendingByIp.TryGetValue(pending.Ip, out int fromIp) && fromIp > 1)
                _pendingByIp[pending.Ip] = fromIp - 1;
            else
                _pendingByIp.Remove(pending.Ip);
            if (pending.Whitelisted)
                _pendingWhitelisted--;
            else
                _pendingOrdinary--;
        }
    }

    /// <summary>
    /// Logs a refusal for pending handshakes: a Warning at most once a minute (with the count refused since the last
    /// one), Debug otherwise, so a flood of connections cannot flood the log.
    /// </summary>
    private void LogPendingRefusal(IPAddress ip, string refusal)
    {
        var now = _time.GetUtcNow();
        long suppressed;
        lock (_pendingGate)
        {
            if (now - _pendingWarningAt < PendingWarningInterval)
            {
                _pendingRefusedUnlogged++;
                suppressed = -1;
            }
            else
            {
                suppressed = _pendingRefusedUnlogged;
                _pendingRefusedUnlogged = 0;
                _pendingWarningAt = now;
            }
        }
        if (suppressed < 0)
            _logger.LogDebug("Refused inbound connection from {Ip}: {Refusal}", ip, refusal);
        else
            _logger.LogWarning("Refused inbound connection from {Ip}: {Refusal} ({Suppressed} more refused for pending handshakes since the last warning)",
                ip, refusal, suppressed);
    }

    private static readonly TimeSpan PendingWarningInterval = TimeSpan.FromMinutes(1);

    private async Task<PeerConnection?> RunConnectionAsync(ITransportConnection connection, PendingHandshake? pending, KnownAddress? address, CancellationToken token)
    {
        PeerConnection? peer = null;
        bool inbound = pending is not null;
        try
        {
            var ip = connection.RemoteEndPoint.Address;
            var sink = new PolicyViolationSink(Policy, (remote, error, outcome) => CarryOut(remote, peer, error.ToString(), outcome));
            var reader = new MessageReader(new FrameReader(connection.Input, _magic, _options.MaxPayloadLength), ip, sink);
            var writer = new FrameWriter(connection.Output, _magic, _options.MaxPayloadLength);
            var (height, tip) = _bestChain();
            // Handshake nonces come from the cryptographic source (the driver's default), not the seeded one: two nodes
            // given the same seed would otherwise send the same nonce and each take the other for itself. A simulation
            // injects its own per-node source through the options.
            var driver = new HandshakeDriver(LocalInfo(null, 0, default), _identity, _time, sink, _options.Handshake, _options.HandshakeNonceSource);
            // A stop does not cancel a handshake at once: it waits for handshakes in progress (within the goodbye
            // timeout), and one that completes during the stop ends with a goodbye below. A connection that reaches
            // this point after the stop began (accepted or dialed just before) starts no handshake: nothing was sent on
            // it, so the remote cannot count it as live.
            var handshaking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!TryBeginHandshake(handshaking))
            {
                writer.Dispose();
                connection.Close();
                await connection.DisposeAsync();
                return null;
            }
            bool announced;
            try
            {
                var result = await driver.RunAsync(connection, reader, writer,
                    LocalInfo(_options.AdvertisedEndPoint ?? _listener?.LocalEndPoint, height, tip), _abortHandshakes.Token);
                if (result.IsSuccess && Volatile.Read(ref _stopped) != 0)
                {
                    await SayGoodbyeAfterHandshakeAsync(connection, writer);
                    return null;
                }
                if (pending is not null)
                    ReleasePending(pending);
                if (!result.IsSuccess)
                {
                    OnHandshakeFailed(connection, inbound, address, result);
                    writer.Dispose();
                    await connection.DisposeAsync();
                    return null;
                }

                var ping = new PingState(_options.Ping, _time, NextRandom);
                peer = new PeerConnection(this, connection, reader, writer, result.Remote!, inbound, ping, _options.Ping.CheckInterval,
                    _options.SendQueueCapacity, _time, _loggerFactory.CreateLogger<PeerConnection>());
                announced = Register(peer);
            }
            finally
            {
                // Only now, registered: a stop that began after the check above waits for this entry, then finds the
                // peer in its list and says goodbye to it.
                _handshakes.TryRemove(handshaking, out _);
                handshaking.TrySetResult();
            }
            if (address is not null)
                OnOutboundConnected(address, peer);
            await peer.RunAsync(token);

            _registry.Remove(peer);
            // Rate-limit buckets are per node id, shared by its connections (a second connection does not double the
            // allowance); with the node's last connection they are released to its address, where the next peer from
            // there (this node redialing, or a new node id) takes them over until they are full again: neither
            // closing a duplicate nor redialing refills them.
            if (_registry.Find(peer.NodeId) is null)
                Policy.ReleasePeer(peer.PeerId, peer.RemoteEndPoint.Address);
            if (announced && peer.TryMarkDisconnectAnnounced())
                _handler.OnPeerDisconnected(peer, peer.CloseReason ?? "closed");
            ConnectionEnded?.Invoke(peer);
            return peer;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection with {EndPoint} failed", connection.RemoteEndPoint);
            peer?.Disconnect($"internal error: {ex.Message}");
            connection.Close();
            return peer;
        }
        finally
        {
            if (pending is not null)
                ReleasePending(pending);
            if (address is not null)
                OnOutboundEnded(address, peer);
            Wake();
        }
    }

    /// <summary>Adds <paramref name="handshaking"/> to the handshakes a stop waits for; false once the stop began.</summary>
    private bool TryBeginHandshake(TaskCompletionSource handshaking)
    {
        lock (_stopGate)
        {
            if (_stopped != 0)
                return false;
            _handshakes.TryAdd(handshaking, 0);
            return true;
        }
    }

    /// <summary>
    /// Ends a connection whose handshake completed while the node stops: the remote gets a goodbye (bounded by the
    /// stop's goodbye deadline, the same for every goodbye of the stop) instead of an unexplained close, then the
    /// connection closes.
    /// </summary>
    private async Task SayGoodbyeAfterHandshakeAsync(ITransportConnection connection, FrameWriter writer)
    {
        _logger.LogDebug("Handshake with {EndPoint} completed while stopping; saying goodbye", connection.RemoteEndPoint);
        using (var deadline = new CancellationTokenSource(GoodbyeTimeLeft(), _time))
        {
            try
            {
                await writer.WriteAsync(new GoodbyeMessage("node stopping"), deadline.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        writer.Dispose();
        connection.Close();
        await connection.DisposeAsync();
    }

    private bool Register(PeerConnection peer)
    {
        if (Policy.IsBanned(peer.RemoteEndPoint.Address))
        {
            peer.Disconnect("address banned during the handshake");
            return false;
        }
        IPeer? loser;
        lock (_admissionGate)
        {
            if (peer.IsInbound && !AdmitHandshaken(peer, out string? refusal))
            {
                Interlocked.Increment(ref _refusedInbound);
                _logger.LogInformation("Closing {Peer} after its handshake: no inbound slot ({Reason})", peer, refusal);
                _ = peer.CloseWithGoodbyeAsync($"no inbound slot: {refusal}");
                return false;
            }
            loser = _registry.Register(peer);
        }
        if (ReferenceEquals(loser, peer))
        {
            _logger.LogInformation("Closing {Peer}: duplicate of the connection we keep to that node", peer);
            _ = peer.CloseWithGoodbyeAsync("duplicate");
            return false;
        }
        if (loser is PeerConnection displaced)
        {
            _logger.LogInformation("Closing {Peer}: duplicate, replaced by {NewPeer}", displaced, peer);
            _ = displaced.CloseWithGoodbyeAsync("duplicate");
            // The handler hears of the old connection's end before the new one starts, so it sees one peer per node.
            if (displaced.TryMarkDisconnectAnnounced())
                _handler.OnPeerDisconnected(displaced, "duplicate");
        }
        _logger.LogInformation("Connected {Peer} (height {Height}, {UserAgent})", peer, peer.BestHeight, peer.Remote.UserAgent);
        FoundLostPeer(peer.NodeId);
        peer.MarkConnectAnnounced();
        _handler.OnPeerConnected(peer);
        _masternodeWhitelist?.Refresh(peer.NodeId); // a handshake at a masternode's announced address proves it
        return true;
    }

    private void OnHandshakeFailed(ITransportConnection connection, bool inbound, KnownAddress? address, HandshakeResult result)
    {
        var level = result.IsSevere ? LogLevel.Warning : LogLevel.Information;
        _logger.Log(level, "Handshake with {EndPoint} ({Direction}) failed: {Failure}: {Detail}",
            connection.RemoteEndPoint, inbound ? "inbound" : "outbound", result.Failure, result.Detail);
        if (address is not null && result.Failure == HandshakeFailure.SelfConnection)
        {
            lock (_gate)
                ForgetAddress(address);
            _logger.LogInformation("Forgot address {EndPoint}: it is ourselves", address.EndPoint);
        }
    }

    /// <summary>
    /// The owner of the ban rule: whoever placed a ban (config, RPC, the violation ladder), every live connection in
    /// its range that the policy now holds banned is closed at once.
    /// </summary>
    private void OnPolicyChanged(object? sender, AuditRecord record)
    {
        switch (record.Action)
        {
            case AuditAction.WhitelistAdded or AuditAction.WhitelistUpdated or AuditAction.WhitelistRemoved:
                // A class change: the liveness drivers of the peers it covers apply it at once (they sleep until their
                // next ping otherwise), and the dialer re-reads the classes of its addresses (automatic or ordinary).
                foreach (var peer in Peers)
                {
                    if (record.Range.Contains(IpRange.Normalize(peer.RemoteEndPoint.Address)))
                        peer.OnClassMayHaveChanged();
                }
                Wake();
                return;
            case AuditAction.Unbanned or AuditAction.BanLifted:
                Wake(); // its addresses may be dialed again
                return;
            case AuditAction.Banned:
                break;
            default:
                return;
        }
        foreach (var peer in Peers)
        {
            var ip = peer.RemoteEndPoint.Address;
            if (record.Range.Contains(IpRange.Normalize(ip)) && Policy.IsBanned(ip))
            {
                _logger.LogWarning("Closing {Peer}: {Range} was banned ({Source}: {Reason})", peer, record.Range, record.Source, record.Reason);
                peer.Disconnect($"banned: {record.Reason}");
            }
        }
    }

    private void CarryOut(IPAddress remote, IPeer? peer, string detail, ViolationOutcome outcome)
    {
        switch (outcome.Action)
        {
            case ViolationAction.Disconnect:
                _logger.LogWarning("Disconnecting {Ip} for a violation ({Detail}): {Reason}", remote, detail, outcome.Reason);
                peer?.Disconnect($"violation: {detail}");
                break;
            case ViolationAction.Banned:
                _logger.LogWarning("Banned {Ip} until {Until} for a violation ({Detail}): {Reason}", remote,
                    outcome.BannedUntil?.ToString("O", CultureInfo.InvariantCulture) ?? "forever", detail, outcome.Reason);
                peer?.Disconnect($"banned: {detail}");
                var normalized = IpRange.Normalize(remote);
                foreach (var other in Peers.Where(p => IpRange.Normalize(p.RemoteEndPoint.Address).Equals(normalized)))
                    other.Disconnect($"banned: {detail}");
                break;
            default:
                _logger.LogDebug("Violation by {Ip} ({Detail}): score {Score}", remote, detail, outcome.Score);
                break;
        }
    }

    // ------------------------------------------------------------------ gossip

    private IReadOnlyList<IPEndPoint> GoodAddresses(PeerConnection requester)
    {
        var result = new HashSet<IPEndPoint>();
        foreach (var peer in Peers)
        {
            if (!ReferenceEquals(peer, requester) && peer.AdvertisedEndPoint is { } endpoint)
                result.Add(endpoint);
        }
        lock (_gate)
        {
            foreach (var known in _addresses.Values.Where(a => a.LastConnectedAt is not null).OrderByDescending(a => a.LastConnectedAt))
            {
                if (result.Count >= ProtocolLimits.MaxPeersPerMessage)
                    break;
                result.Add(known.EndPoint);
            }
        }
        if (requester.AdvertisedEndPoint is { } own)
            result.Remove(own);
        return result.Take(ProtocolLimits.MaxPeersPerMessage).ToArray();
    }

    /// <summary>
    /// The key of a signed heartbeat or announcement in the seen-cache and the relay queue: its whole 64-byte Ed25519
    /// signature (which both version-1 encodings end with) folded to 32 bytes, R XOR S. Ed25519 signatures are
    /// deterministic, so an accepted item's key is unique per masternode key and signed message; the seen-cache only
    /// takes accepted items, so a forged copy can never keep a genuine item out; and because S is in the key, a copy
    /// whose signature was tampered with is not taken for the genuine one: it is decoded, verified and scored as a
    /// forgery. Folding 64 bytes replaces a SHA-256d of every copy (about 5 % of the 100-node simulation's CPU).
    /// The item's length is folded in too: junk of another length that ends in an accepted item's signature (up to
    /// 512 bytes of it) is not taken for a copy, but decoded and scored. (Junk of the genuine length gains its sender
    /// nothing that genuine copies, which cost nothing either, do not.)
    /// Anything else (another encoding version, too short) is keyed by its SHA-256d.
    /// </summary>
    internal static Hash256 GossipItemId(ReadOnlySpan<byte> bytes, bool isAnnouncement)
    {
        const int signatureSize = PublicKey.SignatureSize;
        byte version = isAnnouncement ? MasternodeAnnouncement.WireVersion : Heartbeat.WireVersion;
        if (bytes.Length > signatureSize && bytes[0] == version)
        {
            var signature = bytes[^signatureSize..];
            Span<byte> folded = stackalloc byte[Hash256.Size];
            for (int i = 0; i < Hash256.Size; i++)
                folded[i] = (byte)(signature[i] ^ signature[Hash256.Size + i]);
            BinaryPrimitives.WriteInt32LittleEndian(folded, BinaryPrimitives.ReadInt32LittleEndian(folded) ^ bytes.Length);
            return new Hash256(folded);
        }
        return Hash256.DoubleSha256(bytes);
    }

    /// <summary>Our own heartbeat or announcement: remembered as seen, and queued for every peer at the next flush.</summary>
    private int QueueOwnGossip(ReadOnlyMemory<byte> bytes, bool isAnnouncement, IPeer? except)
    {
        var hash = GossipItemId(bytes.Span, isAnnouncement);
        _relayFilter.TryAdd(hash);
        if (isAnnouncement && MasternodeAnnouncement.TryDecode(bytes.Span, out var announcement, out _))
        {
            lock (_gate)
                _announcements[announcement.MasternodeKey] = bytes.ToArray();
        }
        _gossip.Enqueue(hash, bytes, isAnnouncement, own: true, receivedFrom: except);
        return Peers.Count(p => !ReferenceEquals(p, except));
    }

    /// <summary>
    /// A batch from a peer: each item is rate-limited as the single message of its kind would be (a batch of K
    /// heartbeats takes K heartbeat tokens; the excess is dropped and scored once per window, as for single
    /// messages), then checked, accepted, scored and relayed exactly as that single message.
    /// </summary>
    private void HandleGossipBatch(PeerConnection peer, MasternodeGossipMessage batch)
    {
        foreach (var bytes in batch.Announcements)
        {
            if (peer.IsClosed)
                return;
            if (TakeGossipToken(peer, nameof(MessageType.MasternodeAnnouncement)))
                HandleAnnouncement(peer, bytes, relay: true);
        }
        var heartbeats = batch.Heartbeats;
        if (heartbeats.Count == 0)
            return;
        // Most heartbeats in a batch are copies of items already seen (each node gets every item from several peers).
        // Their ids are looked up in the seen-cache all at once, and each run of copies is noted as known by this peer
        // in the relay queue at once: one lock each, so the look-ups' cache misses overlap (item by item, each was a
        // wait on memory, and they were most of a batch's cost). A copy found seen is then handled exactly as
        // HandleHeartbeat would: it is still seen unless the cache forgot it since, which StillContains checks (when the
        // cache forgot anything, it looks the rest of the batch up again: once the cache is full, every new item makes
        // it forget the oldest); any other item goes through HandleHeartbeat, which looks it up again. The copies ahead
        // of such an item are noted before it is handled, as one by one they would be: a flush running meanwhile (on
        // another thread) does not send them back to this peer.
        var ids = ArrayPool<Hash256>.Shared.Rent(heartbeats.Count);
        var seen = ArrayPool<bool>.Shared.Rent(heartbeats.Count);
        int copies = 0; // ids[..copies]: copies not yet noted as known
        try
        {
            for (int i = 0; i < heartbeats.Count; i++)
                ids[i] = GossipItemId(heartbeats[i].Span, isAnnouncement: false);
            var batchIds = ids.AsSpan(0, heartbeats.Count);
            long removals = _relayFilter.ContainsAll(batchIds, seen);
            for (int i = 0; i < heartbeats.Count; i++)
            {
                if (peer.IsClosed)
                    return;
                if (!TakeGossipToken(peer, nameof(MessageType.Heartbeat)))
                    continue;
                if (_relayFilter.StillContains(batchIds, seen, i, ref removals))
                {
                    ids[copies++] = ids[i]; // a copy, noted as known later (i >= copies, so nothing unread is overwritten)
                    continue;
                }
                _gossip.MarkKnownAll(ids.AsSpan(0, copies), peer);
                copies = 0;
                HandleHeartbeat(peer, heartbeats[i], ids[i]);
            }
        }
        finally
        {
            _gossip.MarkKnownAll(ids.AsSpan(0, copies), peer);
            ArrayPool<Hash256>.Shared.Return(ids);
            ArrayPool<bool>.Shared.Return(seen);
        }
    }

    /// <summary>One token of <paramref name="kind"/> (the rate-limit key of the single message, its type name).</summary>
    private bool TakeGossipToken(PeerConnection peer, string kind)
    {
        var verdict = peer.CheckRate(kind);
        if (verdict == RateLimitVerdict.DroppedAndScored)
            ReportViolation(peer, ViolationKind.RateLimitExceeded, $"{kind} items above the rate limit in {MessageType.MasternodeGossip} batches (excess dropped, scored once per window)");
        return verdict == RateLimitVerdict.Allowed;
    }

    /// <summary>
    /// One announcement: a single message or gossip item (<paramref name="relay"/>: relayed when accepted), or an entry
    /// of a Masternodes list (not relayed; judged by the listed age rule). A list entry not seen before takes one
    /// <c>MasternodeAnnouncement</c> token, as a gossip item does before it; past the limit the rest of the list is
    /// dropped unscored (the list answers our request, and a large network's honest list may exceed the burst: its
    /// masternodes also arrive by their own announcements).
    /// </summary>
    private void HandleAnnouncement(PeerConnection peer, ReadOnlyMemory<byte> bytes, bool relay)
    {
        var hash = GossipItemId(bytes.Span, isAnnouncement: true);
        if (_relayFilter.Contains(hash))
        {
            _gossip.MarkKnown(hash, peer); // a copy from this peer: it is not sent the item at the next flush
            return;
        }
        if (!relay && peer.CheckRate(nameof(MessageType.MasternodeAnnouncement)) != RateLimitVerdict.Allowed)
            return;
        if (!MasternodeAnnouncement.TryDecode(bytes.Span, out var announcement, out var error))
        {
            ReportViolation(peer, ViolationKind.MalformedMessage, $"masternode announcement: {error}");
            return;
        }
        bool direct = announcement.MasternodeKey == peer.NodeId;
        IPEndPoint.TryParse(announcement.Address, out var announced);
        if (direct && (announced is null || !IpRange.Normalize(announced.Address).Equals(IpRange.Normalize(peer.RemoteEndPoint.Address))))
        {
            _logger.LogWarning("Ignored masternode announcement from {Peer}: it announces {Address}, but the connection comes from {Ip}",
                peer, announcement.Address, peer.RemoteEndPoint.Address);
            return;
        }
        // A list entry is the last announcement its masternode signed (re-signed every few minutes): the listed age rule.
        var result = relay ? _masternodes.Accept(announcement) : _masternodes.AcceptListed(announcement);
        if (!result.Accepted)
        {
            if (result.Rejection == MasternodeRejection.BadSignature)
                ReportViolation(peer, ViolationKind.ForgedSignature, result.Message);
            else
                _logger.LogDebug("Masternode announcement from {Peer} not accepted: {Reason}", peer, result.Message);
            return;
        }
        if (!_relayFilter.TryAdd(hash))
            return;
        // A copy of the item's own bytes: a slice would keep the whole frame it came in (up to 1.5 MiB) alive in the
        // list and the relay queue.
        var own = bytes.ToArray();
        lock (_gate)
            _announcements[announcement.MasternodeKey] = own;
        // The address becomes a dial candidate; it is whitelisted only once a handshake there proves the key
        // (MasternodeWhitelist), never on the announcement's word.
        // Only a new dial candidate wakes the dial loop: a dial round per announcement made a flood of announcements
        // cost a round (over the whole address book, under the lock the read loops need) each.
        bool newCandidate = announced is not null && AddAddress(announced, AddressSource.Masternode);
        if (relay)
            _gossip.Enqueue(hash, own, isAnnouncement: true, own: false, receivedFrom: peer);
        if (newCandidate)
            Wake();
    }

    private void HandleHeartbeat(PeerConnection peer, ReadOnlyMemory<byte> bytes) =>
        HandleHeartbeat(peer, bytes, GossipItemId(bytes.Span, isAnnouncement: false));

    private void HandleHeartbeat(PeerConnection peer, ReadOnlyMemory<byte> bytes, Hash256 hash)
    {
        if (_relayFilter.Contains(hash))
        {
            _gossip.MarkKnown(hash, peer);
            return;
        }
        if (!Heartbeat.TryDecode(bytes.Span, out var heartbeat, out var error))
        {
            ReportViolation(peer, ViolationKind.MalformedMessage, $"heartbeat: {error}");
            return;
        }
        var result = _masternodes.Accept(heartbeat);
        if (!result.Accepted)
        {
            if (result.Rejection == MasternodeRejection.BadSignature)
                ReportViolation(peer, ViolationKind.ForgedSignature, result.Message);
            else if (result.Rejection == MasternodeRejection.UnknownMasternode)
                RequestMasternodeList(peer);
            return;
        }
        // Queued as a copy of its own bytes (219 for a heartbeat), not as a slice of the frame it came in: a slice kept
        // the whole frame (up to 1.5 MiB) alive until the flush, and then in every peer's send queue. Only accepted items
        // are copied; copies of known items (most of every batch) are not.
        if (_relayFilter.TryAdd(hash))
            _gossip.Enqueue(hash, bytes.ToArray(), isAnnouncement: false, own: false, receivedFrom: peer);
    }

    /// <summary>Asks <paramref name="peer"/> for its masternode list, at most once per <see cref="ConnectionManagerOptions.MasternodeListRequestInterval"/>.</summary>
    private void RequestMasternodeList(PeerConnection peer)
    {
        var now = _time.GetUtcNow();
        if (peer.MasternodeListRequestedAt is { } last && now - last < _options.MasternodeListRequestInterval)
            return;
        if (peer.TrySend(new GetMasternodesMessage()))
            peer.MasternodeListRequestedAt = now;
    }

    /// <summary>
    /// Sends the pending masternode gossip every <see cref="ConnectionManagerOptions.GossipTrickleInterval"/> (each wait
    /// drawn uniformly from half to one and a half times it, from the node's seeded randomness, on the node's clock), so
    /// an item waits at most 1.5 intervals per hop, and everything that arrived in one interval leaves as one frame
    /// per peer instead of one frame per item.
    /// </summary>
    private async Task GossipTrickleLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            double factor;
            lock (_random)
                factor = 0.5 + _random.NextDouble();
            try
            {
                await Task.Delay(_options.GossipTrickleInterval * factor, _time, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                FlushGossip();
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Flushing masternode gossip failed");
            }
        }
    }

    /// <summary>
    /// One flush: our own items to every peer that does not know them, relayed items to at most
    /// <see cref="ConnectionManagerOptions.RelayFanOut"/> random peers that lack them (see
    /// <see cref="MasternodeGossipQueue.TakeBatches{TPeer}(IReadOnlyList{TPeer}, int, Action{TPeer[]})"/>), one frame per peer (more only past the batch's item-count
    /// limits or the frame's payload maximum, <see cref="GossipBatch.ToMessages"/>);
    /// a peer older than protocol version 2 gets the single messages instead.
    /// </summary>
    internal void FlushGossip()
    {
        var peers = Peers;
        // The seeded randomness is locked for the shuffle only, not for the whole flush.
        var batches = _gossip.TakeBatches(peers, _options.RelayFanOut, ShufflePeers);
        foreach (var (peer, batch) in batches)
        {
            if (peer.Remote.ProtocolVersion < LocalNodeInfo.GossipBatchProtocolVersion)
            {
                foreach (var announcement in batch.Announcements)
                    peer.TrySend(new MasternodeAnnouncementMessage(announcement));
                foreach (var heartbeat in batch.Heartbeats)
                    peer.TrySend(new HeartbeatMessage(heartbeat));
                continue;
            }
            foreach (var message in batch.ToMessages(_options.MaxPayloadLength))
                peer.TrySend(message);
        }
    }

    private void ShufflePeers(PeerConnection[] peers)
    {
        lock (_random)
            _random.Shuffle(peers);
    }

    private void OnMasternodeRemoved(object? sender, MasternodeEventArgs e)
    {
        lock (_gate)
            _announcements.Remove(e.Key);
        if (!IPEndPoint.TryParse(e.Address, out var endpoint))
            return;
        DemoteMasternodeAddress(endpoint);
    }

    /// <summary>A masternode moved: its old address is no longer a masternode address, the new one is a dial candidate.</summary>
    private void OnMasternodeAddressChanged(object? sender, MasternodeEventArgs e)
    {
        if (e.PreviousAddress is not null && IPEndPoint.TryParse(e.PreviousAddress, out var previous))
            DemoteMasternodeAddress(previous);
        if (IPEndPoint.TryParse(e.Address, out var current))
            AddAddress(current, AddressSource.Masternode);
        Wake();
    }

    private void DemoteMasternodeAddress(IPEndPoint endpoint)
    {
        var normalized = new IPEndPoint(IpRange.Normalize(endpoint.Address), endpoint.Port);
        lock (_gate)
        {
            if (_addresses.TryGetValue(normalized, out var known) && known.Source == AddressSource.Masternode)
                SetSource(known, AddressSource.Gossip);
            else
                return;
        }
        Wake(); // its class may change (automatic to ordinary), which can free an automatic slot
    }

    private static List<T> ParseAll<T>(IReadOnlyList<string> lines, string name, List<string> errors, TryParser<T> parse) where T : class
    {
        var result = new List<T>();
        foreach (var line in lines ?? [])
        {
            if (parse(line, out var value, out var error) && value is not null)
                result.Add(value);
            else
                errors.Add($"{name}: {error}");
        }
        return result;
    }

    private static List<IPEndPoint> ParseEndpoints(IReadOnlyList<string> lines, string name, int defaultPort, List<string> errors)
    {
        var result = new List<IPEndPoint>();
        if (defaultPort is < 1 or > 65535)
            return result;
        foreach (var line in lines ?? [])
        {
            if (PeerAddressParser.TryParse(line, defaultPort, out var endpoint, out var error))
                result.Add(endpoint);
            else
                errors.Add($"{name}: '{line}': {error}");
        }
        return result;
    }
}
