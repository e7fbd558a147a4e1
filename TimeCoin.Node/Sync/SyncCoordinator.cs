using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Storage;
using TimeCoin.Sync;

namespace TimeCoin.Node.Sync;

/// <summary>
/// The single owner of chain sync: one loop that feeds what peers report and deliver into a <see cref="SyncPlanner"/>,
/// carries out its plan (header and block requests, stall reassignment, fork branch validation and switches), and
/// commits delivered blocks to the <see cref="ChainStore"/> in height order, in batches.
/// </summary>
/// <remarks>
/// <para>Everything that touches the planner happens on the loop. The input methods (<see cref="OnPeerConnected"/>,
/// <see cref="OnHeadersReceivedAsync"/>, <see cref="OnBlocksReceivedAsync"/>, ...) are thread-safe: they queue an event (data
/// events in a queue bounded by <see cref="SyncCoordinatorOptions.MaxQueuedEvents"/>, waiting while it is full) and wake
/// the loop, which drains every queued event and then runs one sync round. The loop also wakes every
/// <see cref="SyncCoordinatorOptions.Interval"/> (60 s), or every <see cref="SyncCoordinatorOptions.ActiveInterval"/>
/// while syncing so that stalls are noticed, and when a block kept because it was ahead of our clock becomes acceptable.</para>
/// <para>Time comes from the <see cref="TimeProvider"/>: the timer, stall detection, the validation clock and the
/// lag alert all follow it, so tests drive them with a fake clock.</para>
/// </remarks>
public sealed class SyncCoordinator : IAsyncDisposable
{
    private abstract record SyncEvent;
    private sealed record PeerConnectedEvent(IPeer Peer) : SyncEvent;
    private sealed record PeerDisconnectedEvent(IPeer Peer, string Reason) : SyncEvent;
    private sealed record AnnouncementEvent(IPeer Peer, Hash256 Hash, long Height) : SyncEvent;
    private sealed record HeaderAnnouncementEvent(IPeer Peer, BlockLink Header) : SyncEvent;
    private sealed record HeadersEvent(IPeer Peer, IReadOnlyList<BlockLink> Headers) : SyncEvent;
    private sealed record BlocksEvent(IPeer Peer, IReadOnlyList<Block> Blocks) : SyncEvent;
    private sealed record WakeEvent : SyncEvent
    {
        public static readonly WakeEvent Instance = new();
    }

    private sealed class PeerEntry(IPeer peer)
    {
        public IPeer Peer { get; set; } = peer;
        public Hash256? AnnouncedTip { get; set; }
        public long AnnouncedHeight { get; set; } = -1;
        public double Throughput { get; set; }
        public Queue<(DateTimeOffset SentAt, int Count)> PendingBlockRequests { get; } = new();
        public DateTimeOffset LastReplyAt { get; set; } = DateTimeOffset.MinValue;
        /// <summary>What the planner was last told about this peer (null: nothing yet, or the connection was replaced).</summary>
        public PeerSyncInfo? PlannerInfo { get; set; }

        /// <summary>
        /// The later of the connection's best height / tip and the last announcement. Each of the connection's values
        /// is read under its lock, so the height is read once and the tip only when it is the answer (every peer, every
        /// round: it was three locked reads).
        /// </summary>
        public (long Height, Hash256 Tip) ReportedTip
        {
            get
            {
                long connectionHeight = Peer.BestHeight;
                return AnnouncedTip is { } tip && AnnouncedHeight >= connectionHeight ? (AnnouncedHeight, tip) : (connectionHeight, Peer.TipHash);
            }
        }
    }

    private sealed record BufferedBlock(Block Block, string PeerId, DateTimeOffset ReceivedAt);

    private const double ThroughputSmoothing = 0.3;

    /// <summary>
    /// A block refused as ahead of our clock is kept (its sender unblamed) when our clock accepts it within this long:
    /// the clock skew heartbeat gossip tolerates (<c>HeartbeatOptions.MaxClockSkew</c>, 120 s). A block further ahead
    /// is beyond any honest skew (a producer signed a far-future slot) and is refused and reported as before.
    /// </summary>
    private static readonly TimeSpan MaxWaitForOurClock = TimeSpan.FromSeconds(120);

    /// <summary>At most one warning per this long that blocks arrive ahead of our clock (the rest are logged at debug).</summary>
    private static readonly TimeSpan ClockWarningInterval = TimeSpan.FromMinutes(10);

    private readonly ChainStore _chain;
    private readonly SyncCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SyncPlanner _planner;
    private readonly BlockValidator _validator;
    // Data from peers (announcements, headers, blocks) waits in a bounded queue: a full queue makes the delivering
    // connection wait (it stops reading that peer), so nothing on the receive path grows without bound. Connects,
    // disconnects and wakes go through _control, bounded by the number of connections (one of each per connection).
    private readonly Channel<SyncEvent> _events;
    private readonly System.Collections.Concurrent.ConcurrentQueue<SyncEvent> _control = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startGate = new();

    // Loop-owned state.
    private readonly Dictionary<string, PeerEntry> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<Hash256, (string PeerId, long Height, DateTimeOffset SentAt)> _requested = [];
    private readonly Dictionary<Hash256, BufferedBlock> _buffer = [];
    private readonly Dictionary<Hash256, List<Hash256>> _childrenOf = [];
    private readonly Dictionary<string, List<Block>> _validatedBranches = new(StringComparer.Ordinal);
    private readonly HashSet<string> _suppressBranchReport = new(StringComparer.Ordinal);
    // Buffered blocks refused only because they are ahead of our clock (TooFarInFuture), by hash: when our clock will
    // accept each. They stay buffered (and the planner keeps them as received) and are offered again then, once.
    private readonly Dictionary<Hash256, DateTimeOffset> _aheadOfClock = [];
    private DateTimeOffset _clockWarnedAt = DateTimeOffset.MinValue;
    private DateTimeOffset? _laggingSince;
    private bool _lagAlertRaised;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastRoundAt;
    private long _rounds;

    private ITimer? _timer;
    private Task? _loop;
    // 1 from the moment a wake is queued until the loop reads it (not until it merely wakes): a wake that finds it set
    // is served by the round the queued one brings, which starts after it.
    private int _wakePending;
    private int _disposed;
    private long _provenBestHeight = long.MinValue;
    private volatile SyncCoordinatorStatus _status;
    // The status's measured throughput by peer id, rebuilt only when a measurement changed or a measured peer left
    // (null): the status is rebuilt every round, and most rounds measure nothing. Never modified once published.
    private Dictionary<string, double>? _throughputSnapshot;

    /// <summary>Creates the coordinator (not started: call <see cref="Start"/>).</summary>
    /// <param name="chain">The node's chain; blocks are added through it (fork choice and the maximum reorg depth apply).</param>
    /// <param name="options">Settings; the fork resolver caps its depth limits at the chain's maximum reorg depth itself.</param>
    /// <param name="time">Clock for the loop timer, stall detection, validation and the lag alert.</param>
    /// <param name="logger">Log sink.</param>
    public SyncCoordinator(ChainStore chain, SyncCoordinatorOptions options, TimeProvider time, ILogger<SyncCoordinator> logger)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _chain = chain;
        _options = options;
        _time = time;
        _logger = logger;
        _events = Channel.CreateBounded<SyncEvent>(new BoundedChannelOptions(options.MaxQueuedEvents)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        // The fork resolver meets its per-class search depths with the chain's maximum reorg depth (ChainStateView).
        _planner = new SyncPlanner(new ChainStateView(chain.State), options.Planner, time);
        _validator = new BlockValidator(chain.Parameters, chain.State.SignatureCache);
        _status = BuildStatus();
    }

    /// <summary>
    /// Whether a peer's node id is a known masternode (the node passes its masternode registry's answer): such peers are
    /// preferred for downloads after whitelisted ones. The masternode flag a peer declares in its Version is not
    /// believed. Null: no peer counts as a masternode.
    /// </summary>
    public Func<PublicKey, bool>? IsKnownMasternode { get; init; }

    /// <summary>
    /// A peer misbehaved (non-linking headers, invalid or unexpected blocks, undecodable data): the node records it
    /// with its peer policy. Raised on the coordinator loop (or on the connection's thread for decode failures
    /// reported through <see cref="ReportMisbehaviour"/>).
    /// </summary>
    public event Action<IPeer, ViolationKind, string>? PeerMisbehaved;

    /// <summary>
    /// The sync-lag condition started (lagging more than <see cref="SyncCoordinatorOptions.LagWarningBlocks"/> for
    /// <see cref="SyncCoordinatorOptions.LagGracePeriod"/>) or ended. Raised on the coordinator loop. The coordinator only
    /// detects; the node's <c>AlertCenter</c> owns, logs and publishes the <c>sync_lag</c> alert.
    /// </summary>
    public event Action<SyncLagAlert>? LagAlertChanged;

    /// <summary>
    /// The highest height headers proved as of the last sync round: the top of the header chain or the best peer's
    /// proven height, at least our own height (claims no header proved do not count). Set before <see cref="TipChanged"/>.
    /// </summary>
    public long ProvenBestHeight => Volatile.Read(ref _provenBestHeight);

    /// <summary>Our tip changed during a sync round (blocks connected or a fork switch): announce it. Raised on the loop.</summary>
    public event Action<BlockHeader>? TipChanged;

    /// <summary>True when the kill switch allows sync.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>The loop task once started (faults with <see cref="ChainStoreFailedException"/> if storing blocks fails: a
    /// failing disk stops the node, which restarts from the last committed batch).</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    /// <summary>Starts the loop. Does nothing when sync is disabled or the loop already runs.</summary>
    public void Start()
    {
        lock (_startGate)
        {
            if (_loop is not null)
                return;
            if (!_options.Enabled)
            {
                _logger.LogWarning("Sync is disabled (sync.enabled = false): this node will not download blocks");
                _loop = Task.CompletedTask;
                return;
            }
            _timer = _time.CreateTimer(static state => ((SyncCoordinator)state!).Wake(), this, _options.Interval, Timeout.InfiniteTimeSpan);
            // Started directly (it returns at its first wait for an event) so its continuations follow the host's scheduler.
            _loop = RunAsync(_stop.Token);
            Wake();
        }
    }

    /// <summary>
    /// Stops the loop and waits for it. Does not throw the loop's own failure (a store failure): that is reported
    /// through <see cref="Completion"/>, and a stop after it must still complete.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Cancel();
        _events.Writer.TryComplete();
        if (_timer is not null)
            await _timer.DisposeAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                // Logged Critical by the loop and reported through Completion (the node watches it and stops).
                _logger.LogDebug(ex, "The sync loop had failed before the stop");
            }
        }
        _stop.Dispose();
    }

    /// <summary>A snapshot for RPC, refreshed after every sync round.</summary>
    public SyncCoordinatorStatus GetStatus()
    {
        if (_options.Enabled)
            return _status;
        lock (_startGate) // no loop runs: build a fresh snapshot, one caller at a time (the planner is single-threaded)
            return BuildStatus();
    }

    /// <summary>A peer is ready (handshake done).</summary>
    public void OnPeerConnected(IPeer peer) => PostControl(new PeerConnectedEvent(peer ?? throw new ArgumentNullException(nameof(peer))));

    /// <summary>A peer's connection closed: its requests move to other peers.</summary>
    public void OnPeerDisconnected(IPeer peer, string reason) =>
        PostControl(new PeerDisconnectedEvent(peer ?? throw new ArgumentNullException(nameof(peer)), reason ?? ""));

    /// <summary>A peer announced a new best block. Waits while the loop's queue is full.</summary>
    public ValueTask OnBlockAnnouncedAsync(IPeer peer, Hash256 hash, long height, CancellationToken cancellationToken = default) =>
        PostAsync(new AnnouncementEvent(peer ?? throw new ArgumentNullException(nameof(peer)), hash, height), cancellationToken);

    /// <summary>
    /// A peer announced a new best block with its header, already decoded and checked (network, schedule, signature).
    /// A header that extends what we know is adopted, so the block is asked for without a header round trip. Waits
    /// while the loop's queue is full.
    /// </summary>
    public ValueTask OnHeaderAnnouncedAsync(IPeer peer, BlockLink header, CancellationToken cancellationToken = default) =>
        PostAsync(new HeaderAnnouncementEvent(peer ?? throw new ArgumentNullException(nameof(peer)), header), cancellationToken);

    /// <summary>Headers from a peer, already decoded and checked (network, schedule, signature). Waits while the loop's queue is full.</summary>
    public ValueTask OnHeadersReceivedAsync(IPeer peer, IReadOnlyList<BlockLink> headers, CancellationToken cancellationToken = default) =>
        PostAsync(new HeadersEvent(peer ?? throw new ArgumentNullException(nameof(peer)), headers ?? throw new ArgumentNullException(nameof(headers))), cancellationToken);

    /// <summary>Blocks from a peer, already decoded. Only blocks we asked for are kept. Waits while the loop's queue is full.</summary>
    public ValueTask OnBlocksReceivedAsync(IPeer peer, IReadOnlyList<Block> blocks, CancellationToken cancellationToken = default) =>
        PostAsync(new BlocksEvent(peer ?? throw new ArgumentNullException(nameof(peer)), blocks ?? throw new ArgumentNullException(nameof(blocks))), cancellationToken);

    /// <summary>Data events queued for the loop now (at most <see cref="SyncCoordinatorOptions.MaxQueuedEvents"/>).</summary>
    public int QueuedEvents => _events.Reader.Count;

    /// <summary>Asks for a sync round now (for example after the node produced a block).</summary>
    public void RequestSync() => Wake();

    /// <summary>Reports a violation found outside the loop (undecodable or forged data) through <see cref="PeerMisbehaved"/>.</summary>
    public void ReportMisbehaviour(IPeer peer, ViolationKind kind, string detail)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _logger.LogWarning("Peer {PeerId} misbehaved ({Kind}): {Detail}", peer.PeerId, kind, detail);
        PeerMisbehaved?.Invoke(peer, kind, detail);
    }

    private void PostControl(SyncEvent item)
    {
        if (!_options.Enabled)
            return;
        _control.Enqueue(item);
        Wake();
    }

    private ValueTask PostAsync(SyncEvent item, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
            return default;
        // Room in the queue (the usual case): written at once, as WriteAsync would, without starting an async method
        // (every peer announces every block, so this runs some 16 times per block). A full or closed queue, or a
        // cancelled caller, takes the path below.
        if (!cancellationToken.IsCancellationRequested && _events.Writer.TryWrite(item))
            return default;
        return WriteWhenRoomAsync(item, cancellationToken);
    }

    private async ValueTask WriteWhenRoomAsync(SyncEvent item, CancellationToken cancellationToken)
    {
        try
        {
            await _events.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // The coordinator stopped: nothing more is taken.
        }
    }

    private void Wake()
    {
        if (!_options.Enabled)
            return;
        if (Interlocked.Exchange(ref _wakePending, 1) != 0)
            return; // a wake is queued and not read yet: its round starts after this call
        if (_events.Writer.TryWrite(WakeEvent.Instance))
            return;
        // The data queue is full, so the loop has events to read, and it reads the control queue before and after them.
        // Had it taken its last look at the control queue before the wake went in, the second try finds room (it
        // drained) or a full queue again (it reads that, and the control queue after it).
        _control.Enqueue(WakeEvent.Instance);
        _events.Writer.TryWrite(WakeEvent.Instance);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _events.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                bool roundNeeded = false;
                while (_control.TryDequeue(out var control))
                    roundNeeded |= Apply(control);
                int drained = 0;
                while (drained < 10_000 && reader.TryRead(out var item))
                {
                    roundNeeded |= Apply(item);
                    drained++;
                }
                while (_control.TryDequeue(out var control))
                    roundNeeded |= Apply(control); // a connect posted while data drained comes before the round
                if (!roundNeeded)
                    continue; // only announcements of blocks on our active chain: nothing for a round to do
                SyncStatus? plannerStatus = null;
                try
                {
                    plannerStatus = await RunRoundAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (ChainStoreFailedException)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    RecordError($"sync round failed: {ex.Message}");
                    _logger.LogError(ex, "Sync round failed");
                }
                // One planner snapshot per round serves the lag alert, the RPC status and the timer (it was taken three times).
                plannerStatus ??= _planner.GetStatus();
                // The timer first: a reader who sees this round in the status knows the next wake is already set.
                ArmTimer(plannerStatus);
                _status = BuildStatus(plannerStatus);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ChainStoreFailedException ex)
        {
            _logger.LogCritical(ex.InnerException, "Storing blocks failed; sync stops (restart the node to reload the stored chain)");
            RecordError(ex.Message);
            _status = BuildStatus();
            throw;
        }
    }

    private void ArmTimer(SyncStatus status)
    {
        bool active = status.IsSyncing || _requested.Count > 0;
        var due = active ? _options.ActiveInterval : _options.Interval;
        if (_aheadOfClock.Count > 0)
        {
            // A block waiting for our clock is offered again when the clock accepts it, not a full interval later.
            // (Times already past are left alone: such a block no longer extends our tip, or it would have been offered.)
            var now = _time.GetUtcNow();
            foreach (var acceptableAt in _aheadOfClock.Values)
            {
                if (acceptableAt > now && acceptableAt - now < due)
                    due = acceptableAt - now;
            }
        }
        _timer?.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Applies one event to the loop's state; false when it gives a sync round nothing to do.</summary>
    private bool Apply(SyncEvent item)
    {
        switch (item)
        {
            case WakeEvent:
                // Read: the next wake queues one of its own. (Cleared when the loop merely woke, a wake arriving before
                // the loop read the queued one left the flag set with nothing queued, and every later wake was skipped:
                // a producing node with no other traffic then ran no round until peer data arrived.)
                Interlocked.Exchange(ref _wakePending, 0);
                return true;
            case PeerConnectedEvent e:
                if (_peers.TryGetValue(e.Peer.PeerId, out var existing))
                {
                    existing.Peer = e.Peer;
                    existing.PlannerInfo = null;
                }
                else
                    _peers[e.Peer.PeerId] = new PeerEntry(e.Peer);
                _logger.LogDebug("Sync: peer {PeerId} connected at height {Height}", e.Peer.PeerId, e.Peer.BestHeight);
                break;
            case PeerDisconnectedEvent e:
                if (_peers.TryGetValue(e.Peer.PeerId, out var gone) && ReferenceEquals(gone.Peer, e.Peer))
                {
                    _peers.Remove(e.Peer.PeerId);
                    if (gone.Throughput > 0)
                        _throughputSnapshot = null;
                    _planner.OnPeerDisconnected(e.Peer.PeerId);
                    _validatedBranches.Remove(e.Peer.PeerId);
                }
                break;
            case AnnouncementEvent e:
                if (_peers.TryGetValue(e.Peer.PeerId, out var announcer))
                {
                    announcer.AnnouncedTip = e.Hash;
                    announcer.AnnouncedHeight = e.Height;
                }
                // Every peer announces each new block; once we have it, or have asked a peer for it, the other
                // announcements of it carry nothing to sync (the next round reads the peer's tip all the same; while a
                // request is outstanding the loop wakes every ActiveInterval to watch it for a stall). A round per
                // announcement walked every peer and the planner some 16 times per block per node (the whole-network
                // simulation's profile).
                return !_chain.State.IsOnActiveChain(e.Hash) && !_requested.ContainsKey(e.Hash);
            case HeaderAnnouncementEvent e:
                if (!_peers.TryGetValue(e.Peer.PeerId, out var headerAnnouncer))
                    return false;
                headerAnnouncer.AnnouncedTip = e.Header.Hash;
                headerAnnouncer.AnnouncedHeight = e.Header.Height;
                if (_chain.State.IsOnActiveChain(e.Header.Hash) || _requested.ContainsKey(e.Header.Hash))
                    return false;
                // The planner needs the peer's current report to take the header; a peer it has not seen yet is
                // handled by the round like a plain announcement (its tip leads to a header request).
                _planner.OnHeaderAnnounced(e.Peer.PeerId, e.Header);
                return true;
            case HeadersEvent e:
                if (_peers.ContainsKey(e.Peer.PeerId))
                    _planner.OnHeadersReceived(e.Peer.PeerId, e.Headers);
                break;
            case BlocksEvent e:
                AcceptBlocks(e.Peer, e.Blocks);
                break;
        }
        return true;
    }

    private void AcceptBlocks(IPeer peer, IReadOnlyList<Block> blocks)
    {
        if (!_peers.TryGetValue(peer.PeerId, out var entry))
            return;
        var now = _time.GetUtcNow();
        if (MeasureThroughput(entry, blocks.Count, now))
            _throughputSnapshot = null;
        var links = new List<BlockLink>(blocks.Count);
        foreach (var block in blocks)
        {
            if (!_requested.Remove(block.Hash))
                continue; // not asked for (or already delivered by someone else): ignore
            if (!_buffer.ContainsKey(block.Hash))
            {
                _buffer[block.Hash] = new BufferedBlock(block, peer.PeerId, now);
                if (!_childrenOf.TryGetValue(block.Header.PreviousHash, out var children))
                    _childrenOf[block.Header.PreviousHash] = children = [];
                children.Add(block.Hash);
            }
            links.Add(ToLink(block.Header));
        }
        if (links.Count > 0)
            _planner.OnBlocksReceived(peer.PeerId, links);
    }

    /// <summary>
    /// Throughput: blocks in a reply divided by the time since the later of the request being sent and the previous
    /// reply (so pipelined requests are not counted twice), smoothed. True when the peer's throughput was updated.
    /// </summary>
    private static bool MeasureThroughput(PeerEntry entry, int blockCount, DateTimeOffset now)
    {
        if (!entry.PendingBlockRequests.TryDequeue(out var request))
            return false;
        var since = request.SentAt > entry.LastReplyAt ? request.SentAt : entry.LastReplyAt;
        entry.LastReplyAt = now;
        double seconds = (now - since).TotalSeconds;
        if (seconds <= 0 || blockCount == 0)
            return false;
        double rate = blockCount / seconds;
        entry.Throughput = entry.Throughput <= 0 ? rate : entry.Throughput + ThroughputSmoothing * (rate - entry.Throughput);
        return true;
    }

    /// <summary>One sync round; returns the planner's status after it (the lag alert was judged on it).</summary>
    private async Task<SyncStatus> RunRoundAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _rounds++;
        _lastRoundAt = now;
        var tipBefore = _chain.State.TipHash;

        // A claim is bounded by the slot schedule; the planner believes it only once headers prove it.
        long plausible = _chain.Parameters.MaxPlausibleHeight(now);
        foreach (var entry in _peers.Values)
        {
            var (height, tip) = entry.ReportedTip;
            var peer = entry.Peer;
            long claimed = Math.Min(height, plausible);
            bool priority = peer.Permissions.HasFlag(PeerPermissions.PrioritySync);
            // The registry's word, not the flag the peer declares in its Version (anyone can set it to be preferred).
            bool masternode = IsKnownMasternode?.Invoke(peer.NodeId) ?? false;
            // Most rounds find most peers as they were: the planner keeps what it was given, so only changes are passed.
            if (entry.PlannerInfo is { } known && known.BestHeight == claimed && known.TipHash == tip && known.IsPrioritySync == priority
                && known.IsMasternode == masternode && known.ThroughputBlocksPerSecond.Equals(entry.Throughput))
                continue;
            entry.PlannerInfo = new PeerSyncInfo(peer.PeerId, claimed, tip,
                IsPrioritySync: priority,
                IsMasternode: masternode,
                ThroughputBlocksPerSecond: entry.Throughput);
            _planner.UpdatePeer(entry.PlannerInfo);
        }

        ConnectReadyBlocks();
        _suppressBranchReport.Clear();
        for (int pass = 0; pass < 3; pass++)
        {
            var plan = _planner.Plan();
            foreach (var switchTo in plan.ForkSwitches)
                ExecuteForkSwitch(switchTo);
            _validatedBranches.Clear(); // a validated branch that did not switch was kept: drop it
            foreach (var validation in plan.BranchValidations)
                ValidateBranch(validation);
            ReportMisbehaviours(plan.Misbehaviours);
            foreach (var stall in plan.Stalls)
            {
                if (_peers.TryGetValue(stall.PeerId, out var staller))
                    staller.PendingBlockRequests.Clear(); // its outstanding replies no longer line up with requests
                _logger.LogDebug("Sync: peer {PeerId} stalled on {Count} blocks from height {Height}; reassigned",
                    stall.PeerId, stall.Heights.Count, stall.Heights.Count > 0 ? stall.Heights[0] : -1);
            }
            await SendRequestsAsync(plan, cancellationToken);
            ConnectReadyBlocks();
            // Plan again after a validation (its verdict may switch) or a switch (the new tip may still be behind the
            // peer: the resolver fetches only enough of a branch to win, and the rest is ordinary catch-up).
            if (plan.BranchValidations.Count == 0 && plan.ForkSwitches.Count == 0)
                break;
        }

        DropStale(now);
        var status = _planner.GetStatus();
        UpdateLagAlert(status, now);
        Volatile.Write(ref _provenBestHeight, Math.Max(status.BestHeight, status.HeaderHeight));
        if (_chain.State.TipHash != tipBefore)
            TipChanged?.Invoke(_chain.State.Tip);
        return status;
    }

    private async Task SendRequestsAsync(SyncPlan plan, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var request in plan.HeaderRequests)
        {
            if (!_peers.TryGetValue(request.PeerId, out var entry))
            {
                _planner.OnRequestFailed(request.PeerId, "peer is gone");
                continue;
            }
            var message = new GetHeadersMessage(TrimLocator(request.Locator), default, (uint)request.MaxHeaders);
            if (!await entry.Peer.SendAsync(message, cancellationToken))
                _planner.OnRequestFailed(request.PeerId, "connection closed");
        }
        foreach (var request in plan.BlockRequests)
        {
            if (!_peers.TryGetValue(request.PeerId, out var entry))
            {
                _planner.OnRequestFailed(request.PeerId, "peer is gone");
                continue;
            }
            for (int i = 0; i < request.Hashes.Count; i++)
                _requested[request.Hashes[i]] = (request.PeerId, request.StartHeight + i, now);
            entry.PendingBlockRequests.Enqueue((now, request.Hashes.Count));
            if (!await entry.Peer.SendAsync(new GetBlocksMessage(request.Hashes), cancellationToken))
                _planner.OnRequestFailed(request.PeerId, "connection closed");
        }
    }

    /// <summary>A locator longer than the protocol allows keeps its densest part and genesis.</summary>
    private static IReadOnlyList<Hash256> TrimLocator(IReadOnlyList<Hash256> locator)
    {
        if (locator.Count <= ProtocolLimits.MaxLocatorHashes)
            return locator;
        var trimmed = new List<Hash256>(ProtocolLimits.MaxLocatorHashes);
        for (int i = 0; i < ProtocolLimits.MaxLocatorHashes - 1; i++)
            trimmed.Add(locator[i]);
        trimmed.Add(locator[^1]);
        return trimmed;
    }

    /// <summary>
    /// Commits buffered blocks that extend our tip, in height order, in batches. A block refused only because it is
    /// ahead of our clock stays buffered, its sender unblamed, and is offered again when our clock accepts it.
    /// </summary>
    private void ConnectReadyBlocks()
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            var cursor = _chain.State.TipHash;
            if (!_childrenOf.TryGetValue(cursor, out var first) || first.Count == 0)
                return; // nothing buffered extends our tip (the usual case): no batch to build
            var batch = new List<BufferedBlock>();
            while (batch.Count < _options.MaxBlocksPerBatch && _childrenOf.TryGetValue(cursor, out var children) && children.Count > 0)
            {
                var next = _buffer[children[0]];
                if (_aheadOfClock.TryGetValue(next.Block.Hash, out var acceptableAt))
                {
                    if (acceptableAt > now)
                        break; // still ahead of our clock: it and everything above it wait
                    _aheadOfClock.Remove(next.Block.Hash); // offered again now (deferred again if our clock went back)
                }
                batch.Add(next);
                cursor = next.Block.Hash;
            }
            if (batch.Count == 0)
                return;

            var results = AddToStore(batch.Select(b => b.Block).ToList());
            bool progress = false;
            for (int i = 0; i < results.Count; i++)
            {
                var result = results[i];
                var buffered = batch[i];
                if (result.Status == BlockAddStatus.Orphan)
                    continue; // after a rejected block: stays buffered until its parent arrives
                if (result.Status == BlockAddStatus.Rejected && result.Reason == BlockRejectionReason.TooFarInFuture
                    && DeferUntilOurClockAccepts(buffered, $"{result.Reason}: {result.Message}", now))
                {
                    continue;
                }
                RemoveFromBuffer(buffered.Block);
                progress = true;
                if (result.Status == BlockAddStatus.Rejected)
                {
                    string reason = $"{result.Reason}: {result.Message}";
                    RecordError($"block {buffered.Block.Hash} at height {buffered.Block.Header.Height} from peer {buffered.PeerId} is invalid: {reason}");
                    _planner.OnBlockInvalid(buffered.PeerId, ToLink(buffered.Block.Header), reason);
                }
            }
            _planner.OnBlockConnected(_chain.State.Height);
            if (!progress)
                return;
        }
    }

    /// <summary>
    /// A delivered block was refused only because its timestamp is more than the future tolerance ahead of our clock.
    /// That is no fault of the peer (its clock, or the producer's, is simply ahead of ours, or ours is behind; Bitcoin
    /// Core does not punish a time-too-new block either): it is not reported, keeps its claim and does not rest. The
    /// block stays buffered (the planner keeps it as received, so it is not requested again) and is offered to the
    /// chain again once, at the moment our clock accepts it. A warning says our clock may be behind. False (the block
    /// is then treated as invalid, as before) when our clock would accept it only after more than
    /// <see cref="MaxWaitForOurClock"/>: no honest clock is that far ahead, and a block kept that long would hold up
    /// sync at its height.
    /// </summary>
    private bool DeferUntilOurClockAccepts(BufferedBlock buffered, string reason, DateTimeOffset now)
    {
        var header = buffered.Block.Header;
        var acceptableAt = DateTimeOffset.FromUnixTimeSeconds(header.Timestamp - _chain.Parameters.FutureToleranceSeconds);
        if (acceptableAt - now > MaxWaitForOurClock)
            return false;
        if (acceptableAt <= now)
            acceptableAt = now + _options.ActiveInterval; // the clock went back meanwhile: try again on the next active round
        _aheadOfClock[buffered.Block.Hash] = acceptableAt;
        long ahead = header.Timestamp - now.ToUnixTimeSeconds();
        RecordError($"block {buffered.Block.Hash} at height {header.Height} from peer {buffered.PeerId} is ahead of our clock, "
            + $"kept to retry at {acceptableAt:O} (the peer is not blamed): {reason}");
        // One warning per ClockWarningInterval: a clock behind by more than the tolerance defers every new block.
        bool warn = now - _clockWarnedAt >= ClockWarningInterval;
        if (warn)
            _clockWarnedAt = now;
        _logger.Log(warn ? LogLevel.Warning : LogLevel.Debug,
            "Sync: block at height {Height} from peer {PeerId} is {Ahead} s ahead of our clock (tolerance {Tolerance} s); "
            + "kept and retried at {RetryAt:O}. Our clock may be behind: check the system time (NTP)",
            header.Height, buffered.PeerId, ahead, _chain.Parameters.FutureToleranceSeconds, acceptableAt);
        return true;
    }

    /// <summary>True when <paramref name="block"/>, refused as ahead of our clock, would be accepted within <see cref="MaxWaitForOurClock"/>.</summary>
    private bool WithinWaitForOurClock(BlockHeader block, DateTimeOffset now) =>
        DateTimeOffset.FromUnixTimeSeconds(block.Timestamp - _chain.Parameters.FutureToleranceSeconds) - now <= MaxWaitForOurClock;

    private void ValidateBranch(BranchValidationRequest request)
    {
        var blocks = new List<Block>(request.Branch.Count);
        string? error = null;
        var parent = _chain.State.GetHeaderAtHeight(request.AncestorHeight);
        var now = _time.GetUtcNow();
        foreach (var hash in request.Branch)
        {
            if (!_buffer.TryGetValue(hash, out var buffered))
            {
                error = $"branch block {hash} is not available";
                _suppressBranchReport.Add(request.PeerId); // our loss, not the peer's fault
                break;
            }
            if (parent is null)
            {
                error = $"no ancestor at height {request.AncestorHeight}";
                _suppressBranchReport.Add(request.PeerId);
                break;
            }
            var verdict = _validator.Validate(buffered.Block, parent, Production.ChainValidationClock.For(_chain.Parameters, parent, now));
            if (!verdict.IsValid)
            {
                error = $"block {hash} at height {buffered.Block.Header.Height}: {verdict.Reason}: {verdict.Message}";
                if (verdict.Reason == BlockRejectionReason.TooFarInFuture && WithinWaitForOurClock(buffered.Block.Header, now))
                    _suppressBranchReport.Add(request.PeerId); // ahead of our clock: not the peer's fault (retried after the give-up timeout)
                break;
            }
            blocks.Add(buffered.Block);
            parent = buffered.Block.Header;
        }
        foreach (var hash in request.Branch)
        {
            if (_buffer.TryGetValue(hash, out var buffered))
                RemoveFromBuffer(buffered.Block);
        }
        if (error is null)
            _validatedBranches[request.PeerId] = blocks;
        else
            RecordError($"fork branch from peer {request.PeerId} above height {request.AncestorHeight} rejected: {error}");
        _planner.OnBranchValidated(request.PeerId, error is null, error);
    }

    private void ExecuteForkSwitch(ForkSwitch decision)
    {
        if (!_validatedBranches.Remove(decision.PeerId, out var blocks) || blocks.Count != decision.Branch.Count)
        {
            RecordError($"fork switch to peer {decision.PeerId}'s branch: the validated blocks are gone");
            return;
        }
        long heightBefore = _chain.State.Height;
        var results = AddToStore(blocks);
        var last = results[^1];
        if (_chain.State.IsOnActiveChain(blocks[^1].Hash))
        {
            _logger.LogInformation(
                "Fork resolved: switched to peer {PeerId}'s branch above height {AncestorHeight} ({BranchLength} blocks); height {OldHeight} -> {Height}",
                decision.PeerId, decision.AncestorHeight, blocks.Count, heightBefore, _chain.State.Height);
        }
        else
        {
            RecordError($"fork switch to peer {decision.PeerId}'s branch above height {decision.AncestorHeight} not applied: {last}");
            _logger.LogWarning("Fork switch to peer {PeerId}'s branch not applied: {Result}", decision.PeerId, last);
        }
        _planner.OnBlockConnected(_chain.State.Height);
    }

    private IReadOnlyList<BlockAddResult> AddToStore(IReadOnlyList<Block> blocks)
    {
        try
        {
            return _chain.AddBatch(blocks, state => Production.ChainValidationClock.For(state, _time.GetUtcNow()));
        }
        catch (Exception ex)
        {
            throw new ChainStoreFailedException($"storing {blocks.Count} blocks failed: {ex.Message}", ex);
        }
    }

    private void ReportMisbehaviours(IReadOnlyList<PeerMisbehaviour> misbehaviours)
    {
        foreach (var item in misbehaviours)
        {
            if (item.Kind == MisbehaviourKind.InvalidBranch && _suppressBranchReport.Contains(item.PeerId))
                continue;
            if (!_peers.TryGetValue(item.PeerId, out var entry))
                continue;
            var kind = item.Kind switch
            {
                MisbehaviourKind.UnexpectedBlock => ViolationKind.UnrequestedData,
                MisbehaviourKind.UnbackedHeightClaim => ViolationKind.UnbackedClaim,
                _ => ViolationKind.InvalidBlock,
            };
            RecordError($"peer {item.PeerId}: {item.Kind}: {item.Detail}");
            ReportMisbehaviour(entry.Peer, kind, $"{item.Kind}: {item.Detail}");
        }
    }

    private void RemoveFromBuffer(Block block)
    {
        if (!_buffer.Remove(block.Hash))
            return;
        _aheadOfClock.Remove(block.Hash);
        if (_childrenOf.TryGetValue(block.Header.PreviousHash, out var children))
        {
            children.Remove(block.Hash);
            if (children.Count == 0)
                _childrenOf.Remove(block.Header.PreviousHash);
        }
    }

    /// <summary>Drops requests never answered and delivered blocks that can no longer connect, once they are old.</summary>
    private void DropStale(DateTimeOffset now)
    {
        long height = _chain.State.Height;
        var limit = now - _options.StaleBlockTimeout;
        List<Hash256>? expired = null;
        foreach (var (hash, request) in _requested)
        {
            if (request.SentAt < limit)
                (expired ??= []).Add(hash);
        }
        if (expired is not null)
        {
            foreach (var hash in expired)
                _requested.Remove(hash);
        }
        List<Block>? stale = null;
        foreach (var buffered in _buffer.Values)
        {
            if (buffered.ReceivedAt < limit && buffered.Block.Header.Height <= height)
                (stale ??= []).Add(buffered.Block);
        }
        if (stale is not null)
        {
            foreach (var block in stale)
                RemoveFromBuffer(block);
        }
    }

    private void UpdateLagAlert(SyncStatus status, DateTimeOffset now)
    {
        long behind = status.BestHeight - status.Height;
        if (behind > _options.LagWarningBlocks)
        {
            _laggingSince ??= now;
            if (!_lagAlertRaised && now - _laggingSince.Value >= _options.LagGracePeriod)
            {
                _lagAlertRaised = true;
                LagAlertChanged?.Invoke(new SyncLagAlert(true, status.Height, status.BestHeight, _laggingSince, now));
            }
        }
        else
        {
            _laggingSince = null;
            if (_lagAlertRaised)
            {
                _lagAlertRaised = false;
                LagAlertChanged?.Invoke(new SyncLagAlert(false, status.Height, status.BestHeight, null, now));
            }
        }
    }

    private void RecordError(string message)
    {
        _lastError = message;
        _lastErrorAt = _time.GetUtcNow();
    }

    private SyncCoordinatorStatus BuildStatus(SyncStatus? plannerStatus = null)
    {
        var status = plannerStatus ?? _planner.GetStatus();
        var forks = status.ForkResolutions;
        var current = forks.FirstOrDefault(f => f.State is ForkResolutionState.FindingAncestor or ForkResolutionState.FetchingBranch
            or ForkResolutionState.Validating or ForkResolutionState.Detected) ?? forks.LastOrDefault();
        var throughput = _throughputSnapshot ??= _peers.Values.Where(p => p.Throughput > 0)
            .ToDictionary(p => p.Peer.PeerId, p => p.Throughput, StringComparer.Ordinal);
        return new SyncCoordinatorStatus(
            _options.Enabled,
            status.Height,
            _chain.State.TipHash,
            status.BestPeerId,
            status.BestHeight,
            status.HeaderHeight,
            status.IsSyncing,
            status.BlocksInFlight,
            _peers.Count,
            current,
            forks,
            _lagAlertRaised,
            _laggingSince,
            throughput,
            _lastError,
            _lastErrorAt,
            _lastRoundAt,
            _rounds,
            status.BlocksInFlightPerPeer);
    }

    private static BlockLink ToLink(BlockHeader header) => new(header.Height, header.Hash, header.PreviousHash);
}
