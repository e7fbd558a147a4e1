using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// Decides, from our chain and what peers report, which headers and blocks to request from whom; detects stalled
/// requests and moves them to other peers; hands forks below our tip to one <see cref="ForkResolver"/> per peer;
/// reports peers that misbehave. Does no I/O: the coordinator feeds it events and carries out <see cref="Plan"/>.
/// </summary>
/// <remarks>
/// <para>Headers first: a peer's chain is learnt as headers (a locator round trip, up to
/// <see cref="SyncPlannerOptions.MaxHeadersPerRequest"/> per reply), checked for linkage, and blocks are then
/// requested by hash at known heights from any peer known to have them. A block is accepted only if its hash is
/// the one the header chain has at that height, so blocks from several peers always fit together.</para>
/// <para>Single owner, not thread-safe: call it from the coordinator loop only.</para>
/// </remarks>
public sealed class SyncPlanner
{
    private sealed class PeerState(PeerSyncInfo info)
    {
        public PeerSyncInfo Info { get; set; } = info;
        public DateTimeOffset? HeaderRequestSentAt { get; set; }
        public Hash256? HeadersAskedForTip { get; set; }
        public bool WantsMoreHeaders { get; set; }
        public int HeadersAsked { get; set; }
        public long KnownHeaderHeight { get; set; } = long.MinValue;
        public DateTimeOffset RestUntil { get; set; } = DateTimeOffset.MinValue;
        public int InFlight { get; set; }
        public DateTimeOffset LastDeliveryAt { get; set; } = DateTimeOffset.MinValue;
        /// <summary>The clock of a claim above everything we know (see <see cref="CheckClaims"/>); null while none runs.</summary>
        public ClaimClock? Clock { get; set; }
        public long ProvenAtCheck { get; set; } = long.MinValue;
        /// <summary>What we knew (our chain or header chain, the higher) at the peer's last claim check.</summary>
        public long KnownAtCheck { get; set; } = long.MinValue;
        /// <summary>True once the peer was asked for headers while its claim is unbacked (or about the tip it claims).</summary>
        public bool AskedAboutClaim { get; set; }
        /// <summary>Stalls in a row it was blamed for on the same lowest height (<see cref="LastStallHeight"/>), each within
        /// <see cref="SyncPlannerOptions.ClaimProofTimeout"/> of the one before, with no block we wanted delivered by it in between.</summary>
        public int StallsWithoutDelivery { get; set; }
        public long LastStallHeight { get; set; } = long.MinValue;
        public DateTimeOffset LastStallAt { get; set; } = DateTimeOffset.MinValue;
        /// <summary>The lowest height the peer stalled on or sent an invalid block for (none: <see cref="long.MaxValue"/>).</summary>
        public long DisownedFrom { get; set; } = long.MaxValue;
        public DateTimeOffset DisownedUntil { get; set; }
        /// <summary>The highest header the peer sent us itself (a header reply or an announcement with the header).</summary>
        public long OwnHeadersHeight { get; set; } = long.MinValue;
    }

    /// <summary>
    /// How long a peer's claim has been above everything we know without proof (<see cref="CheckClaims"/>). Time while
    /// the claim is exempt from judging (a lost claim, a fork resolution, headers far enough ahead) or the peer is
    /// disconnected does not count; the clock stops only when headers prove every height claimed while it ran, or when
    /// the claim stays within what we know for <see cref="SyncPlannerOptions.ClaimProofTimeout"/>.
    /// </summary>
    private sealed class ClaimClock(DateTimeOffset since, long claim)
    {
        /// <summary>When it started or last restarted (progress toward the claim, or a report).</summary>
        public DateTimeOffset Since { get; private set; } = since;
        /// <summary>Time since <see cref="Since"/> that did not count (ended pauses).</summary>
        public TimeSpan Paused { get; set; }
        public DateTimeOffset? PausedAt { get; set; }
        /// <summary>Since when the claim has been within what we know (our chain or header chain) without proving <see cref="Claim"/>.</summary>
        public DateTimeOffset? CoveredSince { get; set; }
        /// <summary>The highest height claimed while it ran: what headers must prove to stop it.</summary>
        public long Claim { get; set; } = claim;

        public TimeSpan Elapsed(DateTimeOffset now) => now - Since - Paused - (PausedAt is { } p ? now - p : TimeSpan.Zero);

        public void Pause(DateTimeOffset now) => PausedAt ??= now;

        public void Resume(DateTimeOffset now)
        {
            if (PausedAt is { } p)
                Paused += now - p;
            PausedAt = null;
        }

        public void Restart(DateTimeOffset now, long claim)
        {
            (Since, Paused, PausedAt, CoveredSince, Claim) = (now, TimeSpan.Zero, null, null, claim);
        }
    }

    /// <summary>A running claim clock of a peer that disconnected, with what the checks need, kept for its reconnect.</summary>
    private readonly record struct DepartedClaim(
        ClaimClock Clock, DateTimeOffset At, long ProvenAtCheck, long KnownAtCheck, bool AskedAboutClaim, bool WantsMoreHeaders);

    /// <summary>The most departed peers whose claim clocks are kept at once (the longest gone goes first).</summary>
    internal const int MaxDepartedClaims = 64;

    private readonly record struct InFlightBlock(string PeerId, Hash256 Hash, DateTimeOffset SentAt);

    /// <summary>Stalls on one header's block, whoever was asked, since anyone last delivered it; refused until <see cref="RefusedUntil"/>.</summary>
    private sealed class StalledHeader(long height)
    {
        public long Height { get; } = height;
        public int Stalls { get; set; }
        /// <summary>The peers (by id, connected or not) that stalled on it since anyone last delivered it.</summary>
        public HashSet<string> Stallers { get; } = new(StringComparer.Ordinal);
        public DateTimeOffset LastStallAt { get; set; }
        public DateTimeOffset RefusedUntil { get; set; } = DateTimeOffset.MinValue;
    }

    /// <summary>The most headers whose stalls are counted at once (the least recently stalled goes first).</summary>
    internal const int MaxStalledHeaders = 64;

    private readonly IChainView _chain;
    private readonly SyncPlannerOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, PeerState> _peers = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Hash256> _headerByHeight = [];
    private readonly Dictionary<Hash256, long> _headerHeightByHash = [];
    private readonly Dictionary<long, InFlightBlock> _inFlight = [];
    private readonly Dictionary<long, Hash256> _received = [];
    private readonly SortedSet<long> _toReassign = [];
    private readonly Dictionary<string, ForkResolver> _forks = new(StringComparer.Ordinal);
    private readonly List<PeerMisbehaviour> _misbehaviours = [];
    private readonly Dictionary<Hash256, StalledHeader> _stalledHeaders = [];
    private readonly Dictionary<string, DepartedClaim> _departedClaims = new(StringComparer.Ordinal);

    private long _headerBase;
    private Hash256 _headerBaseHash;
    private long _headerTop;
    private long _frontier;
    private TimeSpan _stallTimeout;
    private DateTimeOffset _headerProgressAt = DateTimeOffset.MinValue;

    /// <summary>Creates a planner over our chain.</summary>
    public SyncPlanner(IChainView chain, SyncPlannerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _chain = chain;
        _options = options;
        _time = time;
        _stallTimeout = options.BaseStallTimeout;
        ResetHeaderChain();
    }

    /// <summary>The current stall timeout (grows when we are the slow side, decays when deliveries are on time).</summary>
    public TimeSpan StallTimeout => _stallTimeout;

    /// <summary>Height of the best header chain we know.</summary>
    public long HeaderHeight => _headerTop;

    /// <summary>Records what a peer reports (new peer or update).</summary>
    public void UpdatePeer(PeerSyncInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(info.PeerId, nameof(info.PeerId));
        if (_peers.TryGetValue(info.PeerId, out var state))
        {
            state.Info = info;
            return;
        }
        state = new PeerState(info);
        _peers[info.PeerId] = state;
        if (_departedClaims.Count > 0 && _departedClaims.Remove(info.PeerId, out var departed)
            && _time.GetUtcNow() - departed.At < _options.ClaimProofTimeout)
        {
            // A reconnect (same node id) does not start its claim clock again; the time it was away does not count.
            departed.Clock.Pause(departed.At);
            departed.Clock.Resume(_time.GetUtcNow());
            state.Clock = departed.Clock;
            state.ProvenAtCheck = departed.ProvenAtCheck;
            state.KnownAtCheck = departed.KnownAtCheck;
            state.AskedAboutClaim = departed.AskedAboutClaim;
            state.WantsMoreHeaders = departed.WantsMoreHeaders;
        }
    }

    /// <summary>
    /// The peer is gone: its requests go back to the pool and its fork resolution ends. Header-chain entries above
    /// what any connected peer is known to have (its known header height, or its tip on the header chain) are dropped:
    /// nobody left can serve those blocks, so they are no reason to wait (block production waits while the header chain
    /// is above our tip). Peers still connected are asked for headers again as usual. Leaving with blocks in flight counts
    /// as a stall on the header of the lowest of them (<see cref="CountHeaderStall"/>), and a running claim clock is kept
    /// for a reconnect (<see cref="KeepClaimClock"/>).
    /// </summary>
    public void OnPeerDisconnected(string peerId)
    {
        if (!_peers.Remove(peerId, out var peer))
            return;
        if (peer.Clock is { } clock)
            KeepClaimClock(peer, clock);
        // Leaving with a block in flight is a stall on its header (a relay could otherwise reconnect each time it is
        // asked, and never be counted).
        var heights = ReleaseBlocksOf(peerId);
        _forks.Remove(peerId);
        Reconcile();
        if (heights.Count > 0 && CountHeaderStall(heights[0], peerId, IsTopRun(heights), _time.GetUtcNow()))
            RefuseFrom(heights[0]);
        DropUnservedHeaders();
    }

    /// <summary>
    /// Keeps a departing peer's running claim clock for <see cref="SyncPlannerOptions.ClaimProofTimeout"/>, so a liar
    /// that reconnects (same node id) is not judged afresh. At most <see cref="MaxDepartedClaims"/> are kept.
    /// </summary>
    private void KeepClaimClock(PeerState peer, ClaimClock clock)
    {
        var now = _time.GetUtcNow();
        if (_departedClaims.Count >= MaxDepartedClaims)
        {
            foreach (var (id, departed) in _departedClaims)
            {
                if (now - departed.At >= _options.ClaimProofTimeout)
                    _departedClaims.Remove(id);
            }
            if (_departedClaims.Count >= MaxDepartedClaims)
                _departedClaims.Remove(_departedClaims.MinBy(kv => kv.Value.At).Key);
        }
        _departedClaims[peer.Info.PeerId] = new DepartedClaim(
            clock, now, peer.ProvenAtCheck, peer.KnownAtCheck, peer.AskedAboutClaim, peer.WantsMoreHeaders);
    }

    /// <summary>
    /// Drops header-chain entries above what any connected peer is known to have (<see cref="ProvenHeight"/>, which
    /// leaves out heights a peer lost its claim of): nobody can serve those blocks, so they are no reason to wait.
    /// </summary>
    private void DropUnservedHeaders()
    {
        if (_headerTop <= _headerBase)
            return;
        long served = _headerBase;
        foreach (var peer in _peers.Values)
            served = Math.Max(served, Math.Min(_headerTop, ProvenHeight(peer)));
        if (served >= _headerTop)
            return;
        TruncateHeaderChain(served);
        foreach (var peer in _peers.Values)
            peer.HeadersAskedForTip = null; // a claim above what is left is worth asking about again
    }

    /// <summary>
    /// The peer loses its claim of <paramref name="height"/> and above (it stalled on that height, or sent an invalid
    /// block for it): for <see cref="SyncPlannerOptions.ClaimProofTimeout"/>, or until our chain passes that height, its
    /// claimed tip and its headers do not count as having those blocks, none of them is asked of it, and its headers
    /// for them are not adopted.
    /// </summary>
    private void Disown(PeerState peer, long height)
    {
        if (height <= _headerBase)
            return;
        peer.DisownedFrom = Math.Min(ClaimCap(peer), height - 1) + 1;
        peer.DisownedUntil = _time.GetUtcNow() + _options.ClaimProofTimeout;
        peer.KnownHeaderHeight = Math.Min(peer.KnownHeaderHeight, height - 1);
    }

    /// <summary>
    /// The highest height the peer's claims can count for: just below a height it lost its claim of, or no bound
    /// (<see cref="long.MaxValue"/>). A lost claim that expired or that our chain passed is forgotten here, and the
    /// peer's tip is worth asking about again.
    /// </summary>
    private long ClaimCap(PeerState peer)
    {
        if (peer.DisownedFrom == long.MaxValue)
            return long.MaxValue;
        if (peer.DisownedFrom > _headerBase && _time.GetUtcNow() < peer.DisownedUntil)
            return peer.DisownedFrom - 1;
        peer.DisownedFrom = long.MaxValue;
        peer.HeadersAskedForTip = null;
        return long.MaxValue;
    }

    /// <summary>True while the peer's claim lost at a stall or an invalid block holds (<see cref="ClaimCap"/>, read only).</summary>
    private bool LostClaim(PeerState peer, DateTimeOffset now) =>
        peer.DisownedFrom != long.MaxValue && peer.DisownedFrom > _headerBase && now < peer.DisownedUntil;

    /// <summary>
    /// A reply to a header request. Headers that extend our header chain are adopted; a reply that forks below our
    /// tip starts a fork resolution for the peer; headers that do not link are reported as misbehaviour.
    /// </summary>
    public void OnHeadersReceived(string peerId, IReadOnlyList<BlockLink> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!_peers.TryGetValue(peerId, out var peer))
            return;
        Reconcile();
        if (_forks.TryGetValue(peerId, out var fork) && fork.IsActive)
        {
            fork.OnHeaders(headers);
            return;
        }
        if (peer.HeaderRequestSentAt is null)
            return; // unsolicited
        peer.HeaderRequestSentAt = null;
        bool full = headers.Count >= peer.HeadersAsked;
        peer.WantsMoreHeaders = false;
        if (headers.Count == 0)
            return;
        if (!BlockLink.FormChain(headers, out var error))
        {
            Report(peerId, MisbehaviourKind.NonLinkingChain, error!);
            return;
        }
        var first = headers[0];
        if (!TryLocate(first.PreviousHash, out long parentHeight) || parentHeight != first.Height - 1)
        {
            Report(peerId, MisbehaviourKind.NonLinkingChain,
                $"first header (height {first.Height}) does not link to any block we know");
            return;
        }

        int i = 0;
        while (i < headers.Count && IsKnownAt(headers[i]))
            i++;
        if (i == headers.Count)
        {
            var last = headers[^1];
            if (last.Height > _headerBase)
            {
                peer.KnownHeaderHeight = Math.Max(peer.KnownHeaderHeight, last.Height);
                peer.OwnHeadersHeight = Math.Max(peer.OwnHeadersHeight, last.Height);
            }
            // A full reply of headers our chain already has (we asked from our header top) tells us nothing more.
            peer.WantsMoreHeaders = full && last.Height > _headerBase;
            return;
        }

        var divergent = headers[i];
        long forkParent = divergent.Height - 1;
        if (forkParent < _headerBase)
        {
            StartFork(peer, headers, full);
            return;
        }

        var newTip = headers[^1];
        // The header chain never runs more than MaxHeadersAhead + one reply above the download frontier, however
        // replies arrive: with two requests in flight, a reply answered from the header top another reply had just
        // raised would stack on it. The part above the bound is not taken; the peer is asked again when blocks make room.
        long bound = Math.Max(_frontier, _chain.Height) + _options.MaxHeadersAhead + _options.MaxHeadersPerRequest;
        // Nor are a peer's headers taken at heights it lost its claim of (and it is not asked for more).
        // Nor a header refused after stalls nobody delivered (see CountHeaderStall), nor anything above it.
        long cap = Math.Min(ClaimCap(peer), RefusedBound(headers, i));
        bool capped = cap < bound;
        if (capped)
            bound = cap;
        var adopted = newTip.Height <= bound ? headers : headers.Take((int)Math.Max(0, bound - first.Height + 1)).ToList();
        if (adopted.Count <= i)
        {
            peer.WantsMoreHeaders = !capped;
            return;
        }
        bool cut = adopted.Count < headers.Count && !capped;
        if (forkParent == _headerTop)
        {
            AppendHeaders(adopted, i);
        }
        else if (ForkChoice.Prefers(newTip.Height, newTip.Hash, _headerTop, _headerByHeight[_headerTop]))
        {
            TruncateHeaderChain(forkParent);
            AppendHeaders(adopted, i);
        }
        else
        {
            // A competing branch above our tip that is not better than the header chain we have. Once our chain
            // grows past the branch point it becomes a fork below our tip and goes to fork resolution.
            peer.KnownHeaderHeight = Math.Max(peer.KnownHeaderHeight, forkParent);
            return;
        }
        peer.KnownHeaderHeight = adopted[^1].Height;
        peer.OwnHeadersHeight = adopted[^1].Height;
        peer.WantsMoreHeaders = full || cut;
    }

    /// <summary>
    /// A peer announced a new block with its header (the caller checked the header as it checks every header:
    /// network, schedule, producer signature). When the header links to the top of the header chain (or our tip, with
    /// no header chain above it) it is adopted as a one-header reply would be, and the peer is known to have it, so
    /// the next <see cref="Plan"/> asks for the block without a header round trip. Otherwise nothing changes: the
    /// peer's reported tip leads to a header request as usual. Bounded as header replies are: nothing is adopted
    /// while <see cref="SyncPlannerOptions.MaxHeadersAhead"/> headers wait for their blocks, or from a peer in fork
    /// resolution.
    /// </summary>
    /// <returns>True when the header was adopted or was already known at its height.</returns>
    public bool OnHeaderAnnounced(string peerId, BlockLink header)
    {
        if (!_peers.TryGetValue(peerId, out var peer))
            return false;
        Reconcile();
        if (_forks.TryGetValue(peerId, out var fork) && fork.IsActive)
            return false;
        if (IsKnownAt(header))
        {
            if (header.Height > _headerBase)
            {
                peer.KnownHeaderHeight = Math.Max(peer.KnownHeaderHeight, header.Height);
                peer.OwnHeadersHeight = Math.Max(peer.OwnHeadersHeight, header.Height);
            }
            return true;
        }
        var top = _headerTop > _headerBase ? _headerByHeight[_headerTop] : _headerBaseHash;
        if (header.Height != _headerTop + 1 || header.PreviousHash != top || HeadersFarEnoughAhead || header.Height > ClaimCap(peer)
            || IsRefused(header.Hash))
            return false;
        AppendHeaders([header], 0);
        peer.KnownHeaderHeight = header.Height;
        peer.OwnHeadersHeight = header.Height;
        return true;
    }

    /// <summary>
    /// Blocks delivered by a peer (after the caller checked each block's own hash). A block whose hash differs from
    /// the one requested at that height is reported; blocks nobody asked for are ignored.
    /// </summary>
    public void OnBlocksReceived(string peerId, IReadOnlyList<BlockLink> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        Reconcile();
        _forks.TryGetValue(peerId, out var fork);
        if (fork is not null && fork.IsActive)
            fork.OnBlocksReceived(blocks);
        bool onTime = false;
        foreach (var block in blocks)
        {
            if (fork is not null && fork.IsBranchBlock(block.Hash))
                continue;
            if (_inFlight.TryGetValue(block.Height, out var request))
            {
                if (request.Hash == block.Hash)
                {
                    _stalledHeaders.Remove(block.Hash);
                    RemoveInFlight(block.Height);
                    _received[block.Height] = block.Hash;
                    Served(peerId);
                    if (request.PeerId == peerId)
                    {
                        onTime = true;
                        if (_peers.TryGetValue(peerId, out var sender))
                            sender.LastDeliveryAt = _time.GetUtcNow();
                    }
                }
                else if (request.PeerId == peerId)
                {
                    RemoveInFlight(block.Height);
                    _toReassign.Add(block.Height);
                    if (_peers.TryGetValue(peerId, out var liar))
                        liar.RestUntil = _time.GetUtcNow() + _stallTimeout;
                    Report(peerId, MisbehaviourKind.UnexpectedBlock,
                        $"sent block {block.Hash} at height {block.Height}, asked for {request.Hash}");
                }
            }
            else if (_headerByHeight.TryGetValue(block.Height, out var expected) && expected == block.Hash)
            {
                // A late delivery of a request that was reassigned: still useful (and the peer does serve).
                if (_toReassign.Remove(block.Height) || !_received.ContainsKey(block.Height))
                    _received[block.Height] = block.Hash;
                _stalledHeaders.Remove(block.Hash);
                Served(peerId);
            }
            else if (_stalledHeaders.Remove(block.Hash, out var stalled) && stalled.RefusedUntil != DateTimeOffset.MinValue)
            {
                // The block of a header refused after stalls arrived after all (the caller keeps blocks it asked for):
                // the header is refused no more, and is adopted again when announced or sent.
                Served(peerId);
                foreach (var peer in _peers.Values)
                    NotAskedSinceRefusal(peer);
            }
        }
        if (onTime)
        {
            var decayed = TimeSpan.FromTicks((long)(_stallTimeout.Ticks * _options.StallTimeoutDecay));
            _stallTimeout = decayed < _options.BaseStallTimeout ? _options.BaseStallTimeout : decayed;
        }
    }

    /// <summary>The peer delivered a block of our header chain (on time or late): its count of stalls without a delivery starts again.</summary>
    private void Served(string peerId)
    {
        if (_peers.TryGetValue(peerId, out var peer))
            peer.StallsWithoutDelivery = 0;
    }

    /// <summary>Our chain connected a block: delivered blocks at or below <paramref name="height"/> are no longer tracked.</summary>
    public void OnBlockConnected(long height)
    {
        _ = height; // the chain view is the authority; the event only prompts bookkeeping
        Reconcile();
    }

    /// <summary>
    /// A delivered block failed validation: the peer that sent it is reported, rests, and loses its claim of that height
    /// and above; the block is requested again from another peer known to have it, and when no connected peer is, the
    /// header chain above our tip is dropped (production does not wait for a block nobody serves valid). Only for a
    /// fault of the block: one refused because it is ahead of our clock is no fault of the sender and is not passed
    /// here (the caller keeps it and offers it to the chain again when the clock accepts it).
    /// </summary>
    public void OnBlockInvalid(string peerId, BlockLink block, string reason)
    {
        Report(peerId, MisbehaviourKind.InvalidBlock, $"block {block.Hash} at height {block.Height}: {reason}");
        if (_received.TryGetValue(block.Height, out var hash) && hash == block.Hash)
        {
            _received.Remove(block.Height);
            _toReassign.Add(block.Height);
        }
        else if (_inFlight.TryGetValue(block.Height, out var request) && request.Hash == block.Hash)
        {
            RemoveInFlight(block.Height);
            _toReassign.Add(block.Height);
        }
        if (_peers.TryGetValue(peerId, out var peer))
        {
            peer.RestUntil = _time.GetUtcNow() + _stallTimeout;
            // The header stays for other peers that have it (the sender may have tampered with the body alone); the
            // sender loses its claim of it, and when nobody else has it the header chain above our tip is dropped.
            Reconcile();
            if (_headerByHeight.TryGetValue(block.Height, out var header) && header == block.Hash)
            {
                Disown(peer, block.Height);
                DropUnservedHeaders();
            }
        }
    }

    /// <summary>
    /// A request to the peer failed (not found, refused, send error): its blocks go back to the pool, the peer rests
    /// for one stall timeout, and a fork resolution with it counts a failed attempt.
    /// </summary>
    public void OnRequestFailed(string peerId, string reason)
    {
        if (!_peers.TryGetValue(peerId, out var peer))
            return;
        if (_forks.TryGetValue(peerId, out var fork) && fork.IsActive)
        {
            fork.OnRequestFailed(reason);
            return;
        }
        ReleaseBlocksOf(peerId);
        if (peer.HeaderRequestSentAt is not null)
        {
            peer.HeaderRequestSentAt = null;
            peer.HeadersAskedForTip = null; // unanswered: ask again after the rest
        }
        peer.RestUntil = _time.GetUtcNow() + _stallTimeout;
    }

    /// <summary>The caller's verdict on a branch from <see cref="SyncPlan.BranchValidations"/>.</summary>
    public void OnBranchValidated(string peerId, bool valid, string? reason)
    {
        if (_forks.TryGetValue(peerId, out var fork))
            fork.OnBranchValidated(valid, reason);
    }

    /// <summary>
    /// Decides what to do now: times out and reassigns stalled requests (adapting the stall timeout), drives fork
    /// resolutions, asks for headers, and fills each peer's in-flight budget within the download window.
    /// </summary>
    public SyncPlan Plan()
    {
        var now = _time.GetUtcNow();
        Reconcile();
        var headerRequests = new List<HeaderRequest>();
        var blockRequests = new List<BlockRequest>();
        var stalls = new List<StalledRequest>();
        var validations = new List<BranchValidationRequest>();
        var switches = new List<ForkSwitch>();

        foreach (var fork in ForksInPeerOrder())
        {
            fork.CheckTimeouts();
            if (fork.TakeHeaderRequest() is { } headerRequest)
                headerRequests.Add(headerRequest);
            if (fork.TakeValidationRequest() is { } validation)
                validations.Add(validation);
            if (fork.TakeSwitch() is { } decision)
                switches.Add(decision);
            _misbehaviours.AddRange(fork.TakeMisbehaviours());
            if (fork.State == ForkResolutionState.GaveUp && _peers.TryGetValue(fork.PeerId, out var gaveUpOn)
                && fork.RetryAllowedAt is { } retryAt && gaveUpOn.RestUntil < retryAt)
            {
                // Leave the peer alone until the give-up timeout, then ask it again.
                gaveUpOn.RestUntil = retryAt;
                gaveUpOn.HeadersAskedForTip = null;
            }
        }

        foreach (var peer in _peers.Values)
        {
            if (_headerHeightByHash.TryGetValue(peer.Info.TipHash, out long tipHeight))
                peer.KnownHeaderHeight = Math.Max(peer.KnownHeaderHeight, Math.Min(tipHeight, ClaimCap(peer)));
        }
        CheckClaims(now);
        ExpireRefusals(now);
        ExpireHeaderRequests(now);
        DetectStalls(now, stalls);
        PlanHeaderRequests(now, headerRequests);
        PlanBlockRequests(now, blockRequests);

        foreach (var fork in ForksInPeerOrder())
        {
            if (!fork.IsActive)
                continue;
            int mainInFlight = _peers.TryGetValue(fork.PeerId, out var peer) ? peer.InFlight : 0;
            int budget = _options.MaxBlocksInFlightPerPeer - mainInFlight - fork.BlocksInFlight;
            if (budget > 0)
                blockRequests.AddRange(fork.TakeBlockRequests(budget));
        }

        PeerMisbehaviour[] misbehaviours = _misbehaviours.Count == 0 ? [] : _misbehaviours.ToArray();
        _misbehaviours.Clear();
        return new SyncPlan(headerRequests, blockRequests, stalls, misbehaviours, validations, switches);
    }

    /// <summary>A snapshot for RPC.</summary>
    public SyncStatus GetStatus()
    {
        Reconcile();
        var perPeer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, peer) in _peers)
        {
            int count = peer.InFlight + (_forks.TryGetValue(id, out var fork) ? fork.BlocksInFlight : 0);
            if (count > 0)
                perPeer[id] = count;
        }
        // Decisions (production, lag alert, best peer) rest on heights headers proved, never on claims.
        // The best peer: highest proven height, then whitelisted, then the lowest peer id.
        PeerState? best = null;
        long bestProven = long.MinValue;
        foreach (var peer in _peers.Values)
        {
            long proven = ProvenHeight(peer);
            if (best is null || proven > bestProven
                || (proven == bestProven && (peer.Info.IsPrioritySync, best.Info.IsPrioritySync) switch
                {
                    (true, false) => true,
                    (false, true) => false,
                    _ => string.CompareOrdinal(peer.Info.PeerId, best.Info.PeerId) < 0,
                }))
            {
                best = peer;
                bestProven = proven;
            }
        }
        long bestHeight = Math.Max(_chain.Height, best is null ? long.MinValue : bestProven);
        int inFlight = 0;
        foreach (int count in perPeer.Values)
            inFlight += count;
        bool forksActive = false;
        foreach (var fork in _forks.Values)
            forksActive |= fork.IsActive;
        return new SyncStatus(
            _chain.Height,
            Math.Max(_headerTop, _chain.Height),
            best?.Info.PeerId,
            bestHeight,
            bestHeight > _chain.Height || inFlight > 0 || forksActive,
            inFlight,
            perPeer,
            _stallTimeout,
            _forks.Count == 0 ? [] : _forks.Values.OrderBy(f => f.PeerId, StringComparer.Ordinal).Select(f => f.GetStatus()).ToArray());
    }

    /// <summary>The fork resolutions in peer id order (none, usually: then nothing is allocated).</summary>
    private IEnumerable<ForkResolver> ForksInPeerOrder() =>
        _forks.Count == 0 ? [] : _forks.Values.OrderBy(f => f.PeerId, StringComparer.Ordinal).ToArray();

    /// <summary>The height of the peer's chain that headers proved: its known header height, or its tip's height when
    /// the tip is on our header chain or our chain.</summary>
    private long ProvenHeight(PeerState peer)
    {
        long proven = peer.KnownHeaderHeight;
        if (_headerHeightByHash.TryGetValue(peer.Info.TipHash, out long inHeaders))
            proven = Math.Max(proven, inHeaders);
        else if (_chain.TryGetHeight(peer.Info.TipHash, out long inChain))
            proven = Math.Max(proven, inChain);
        return peer.DisownedFrom == long.MaxValue ? proven : Math.Min(proven, ClaimCap(peer));
    }

    /// <summary>
    /// A peer whose claimed height is above everything we know (our chain, our header chain, what its headers
    /// proved) must prove it with headers within <see cref="SyncPlannerOptions.ClaimProofTimeout"/>; otherwise the
    /// claim is reported, once per timeout. The clock restarts only for progress that can be toward the claim: the
    /// peer's own proven height grows past what we knew at its previous check (its headers told us something new), or
    /// headers from any peer extend our header chain while the peer is not to blame yet: it has not been asked for
    /// headers since its claim went unbacked, or its last reply was full and it waits for us to ask again (during a
    /// catch-up only two peers are asked at a time). A peer that was asked and answered with nothing, or with headers
    /// we already had, does not gain time from other peers' headers: on a node that follows the chain by header
    /// announcements our header chain grows every block, and a claim far above it was never judged. Blocks we produce
    /// ourselves are no progress. Peers in fork resolution are left to it (it has its own limits), and a peer that lost its
    /// claim (see <see cref="Disown"/>) is not judged while it has: its headers above the lost height would not be taken.
    /// While <see cref="SyncPlannerOptions.MaxHeadersAhead"/> headers wait for their blocks to be asked for, no headers
    /// are asked for, and no claim is judged. Not judged only pauses a running clock; a claim that falls within what we
    /// know stops it only once headers prove what was claimed, or after <see cref="SyncPlannerOptions.ClaimProofTimeout"/>
    /// (see <see cref="HoldClaimClock"/>), and a reconnect (same node id) brings it back (see <see cref="KeepClaimClock"/>).
    /// </summary>
    private void CheckClaims(DateTimeOffset now)
    {
        long known = Math.Max(_chain.Height, _headerTop);
        foreach (var peer in _peers.Values)
        {
            // A claim we know is backed first: most peers claim no more than our chain or header chain, and their
            // proven height (a header and a chain look-up) is then not needed.
            bool covered = peer.Info.BestHeight <= known || peer.Info.BestHeight <= ProvenHeight(peer);
            long knownBefore = peer.KnownAtCheck;
            peer.KnownAtCheck = known;
            if (covered && peer.Clock is null)
                continue;
            // While enough headers wait for their blocks we ask nobody for headers: nobody is to blame. A peer that lost
            // its claim (a stall, an invalid block) is not judged while it has: its headers there are not taken. Peers
            // in fork resolution are left to it. These only pause a running clock.
            bool exempt = _forks.ContainsKey(peer.Info.PeerId) || HeadersFarEnoughAhead || LostClaim(peer, now)
                          || RefusedAtOrBelow(peer.Info.BestHeight, now);
            if (covered || exempt)
            {
                if (peer.Clock is { } held)
                    HoldClaimClock(peer, held, covered, exempt, now);
                continue;
            }
            long proven = ProvenHeight(peer);
            if (peer.Clock is not { } clock)
            {
                peer.Clock = clock = new ClaimClock(now, peer.Info.BestHeight);
                // Asked about the tip it claims already (a request out or answered): its chance has come.
                peer.AskedAboutClaim = peer.HeadersAskedForTip == peer.Info.TipHash;
            }
            else
            {
                clock.Resume(now);
                clock.CoveredSince = null;
                clock.Claim = Math.Max(clock.Claim, peer.Info.BestHeight);
                if ((proven > peer.ProvenAtCheck && proven > knownBefore)
                    || (_headerProgressAt > clock.Since && (!peer.AskedAboutClaim || peer.WantsMoreHeaders)))
                    clock.Restart(now, peer.Info.BestHeight);
            }
            peer.ProvenAtCheck = Math.Max(peer.ProvenAtCheck, proven);
            if (clock.Elapsed(now) >= _options.ClaimProofTimeout)
            {
                Report(peer.Info.PeerId, MisbehaviourKind.UnbackedHeightClaim,
                    $"claims height {peer.Info.BestHeight} (tip {peer.Info.TipHash}) but its headers prove {Math.Max(ProvenHeight(peer), -1)} after {_options.ClaimProofTimeout.TotalSeconds:0} s");
                clock.Restart(now, peer.Info.BestHeight);
            }
        }
    }

    /// <summary>
    /// A running claim clock at a check where the peer's claim is within what we know (<paramref name="covered"/>) or
    /// exempt from judging. It stops only when headers prove every height claimed while it ran (its own headers, or its
    /// tip on our chain or header chain), or when the claim stayed within what we know for
    /// <see cref="SyncPlannerOptions.ClaimProofTimeout"/>. An exempt claim pauses it; a claim within what we know but
    /// not proving the claim it ran for (a liar showing a real tip for a moment) lets it run: the peer is reported only
    /// at a check where its claim is above everything again.
    /// </summary>
    private void HoldClaimClock(PeerState peer, ClaimClock clock, bool covered, bool exempt, DateTimeOffset now)
    {
        if (ProvenHeight(peer) >= Math.Max(clock.Claim, peer.Info.BestHeight))
        {
            peer.Clock = null;
            return;
        }
        if (exempt)
            clock.Pause(now);
        else
            clock.Resume(now);
        if (!covered)
        {
            clock.CoveredSince = null;
            return;
        }
        clock.CoveredSince ??= now;
        if (now - clock.CoveredSince.Value >= _options.ClaimProofTimeout)
            peer.Clock = null;
    }

    private void Report(string peerId, MisbehaviourKind kind, string detail) =>
        _misbehaviours.Add(new PeerMisbehaviour(peerId, kind, detail));

    /// <summary>Aligns the header chain with our active chain (blocks connected, or a reorganisation).</summary>
    private void Reconcile()
    {
        long height = _chain.Height;
        if (_chain.HashAtHeight(_headerBase) != _headerBaseHash || height < _headerBase)
        {
            ResetHeaderChain();
            return;
        }
        while (_headerBase < height)
        {
            long next = _headerBase + 1;
            var ours = _chain.HashAtHeight(next);
            if (_headerTop >= next)
            {
                if (ours != _headerByHeight[next])
                {
                    ResetHeaderChain();
                    return;
                }
                _headerByHeight.Remove(next);
                _headerHeightByHash.Remove(ours!.Value);
            }
            else
            {
                _headerTop = next;
            }
            _headerBase = next;
            _headerBaseHash = ours!.Value;
            if (_inFlight.ContainsKey(next))
                RemoveInFlight(next);
            _received.Remove(next);
            _toReassign.Remove(next);
        }
        _frontier = Math.Max(_frontier, _headerBase);
    }

    private void ResetHeaderChain()
    {
        _headerBase = _chain.Height;
        _headerBaseHash = _chain.TipHash;
        _headerTop = _headerBase;
        _frontier = _headerBase;
        _headerByHeight.Clear();
        _headerHeightByHash.Clear();
        foreach (var peer in _peers.Values)
        {
            peer.InFlight = 0;
            peer.KnownHeaderHeight = long.MinValue;
            peer.OwnHeadersHeight = long.MinValue;
            peer.HeadersAskedForTip = null;
            peer.WantsMoreHeaders = false;
            // Stalls and lost claims were counted on heights of the header chain we leave.
            peer.StallsWithoutDelivery = 0;
            peer.LastStallHeight = long.MinValue;
            peer.DisownedFrom = long.MaxValue;
        }
        _inFlight.Clear();
        _received.Clear();
        _toReassign.Clear();
    }

    private bool TryLocate(Hash256 hash, out long height)
    {
        if (_headerHeightByHash.TryGetValue(hash, out height))
            return true;
        return _chain.TryGetHeight(hash, out height);
    }

    private bool IsKnownAt(BlockLink header)
    {
        if (header.Height <= _headerBase)
            return _chain.TryGetHeight(header.Hash, out long h) && h == header.Height;
        return _headerByHeight.TryGetValue(header.Height, out var hash) && hash == header.Hash;
    }

    private void AppendHeaders(IReadOnlyList<BlockLink> headers, int from)
    {
        for (int i = from; i < headers.Count; i++)
        {
            _headerByHeight[headers[i].Height] = headers[i].Hash;
            _headerHeightByHash[headers[i].Hash] = headers[i].Height;
        }
        _headerTop = headers[^1].Height;
        _headerProgressAt = _time.GetUtcNow();
    }

    /// <summary>Drops header-chain entries above <paramref name="height"/> and every request or delivery for them.</summary>
    private void TruncateHeaderChain(long height)
    {
        for (long h = _headerTop; h > height; h--)
        {
            if (_headerByHeight.Remove(h, out var hash))
                _headerHeightByHash.Remove(hash);
            if (_inFlight.ContainsKey(h))
                RemoveInFlight(h);
            _received.Remove(h);
            _toReassign.Remove(h);
        }
        _headerTop = height;
        _frontier = Math.Min(_frontier, height);
        foreach (var peer in _peers.Values)
        {
            peer.KnownHeaderHeight = Math.Min(peer.KnownHeaderHeight, height);
            peer.OwnHeadersHeight = Math.Min(peer.OwnHeadersHeight, height);
        }
    }

    private void RemoveInFlight(long height)
    {
        if (_inFlight.Remove(height, out var request) && _peers.TryGetValue(request.PeerId, out var peer))
            peer.InFlight--;
    }

    private List<long> ReleaseBlocksOf(string peerId)
    {
        var heights = _inFlight.Where(kv => kv.Value.PeerId == peerId).Select(kv => kv.Key).Order().ToList();
        foreach (long h in heights)
        {
            RemoveInFlight(h);
            _toReassign.Add(h);
        }
        return heights;
    }

    private void StartFork(PeerState peer, IReadOnlyList<BlockLink> headers, bool full)
    {
        string id = peer.Info.PeerId;
        if (!_forks.TryGetValue(id, out var fork))
        {
            fork = new ForkResolver(id, peer.Info.IsPrioritySync, _chain, _options.ForkResolution, _time);
            _forks[id] = fork;
        }
        if (!fork.CanStart)
        {
            // Given up recently: ask this peer again once the give-up timeout is over.
            peer.HeadersAskedForTip = null;
            peer.RestUntil = fork.RetryAllowedAt ?? _time.GetUtcNow();
            return;
        }
        ReleaseBlocksOf(id); // it serves a different chain: its heights must not collide with branch blocks
        peer.KnownHeaderHeight = long.MinValue;
        fork.StartFromHeaderReply(peer.Info.BestHeight, peer.Info.TipHash, headers, full);
    }

    private void ExpireHeaderRequests(DateTimeOffset now)
    {
        foreach (var peer in _peers.Values)
        {
            if (peer.HeaderRequestSentAt is { } sentAt && now - sentAt >= _options.HeaderRequestTimeout)
            {
                peer.HeaderRequestSentAt = null;
                peer.HeadersAskedForTip = null;
                peer.RestUntil = now + _stallTimeout;
            }
        }
    }

    /// <summary>
    /// A peer has stalled when it has blocks in flight and has delivered nothing for the stall timeout (counted from
    /// its last delivery, or from its oldest outstanding request if that is later). When several peers stall at once (at least two, and at
    /// least half of those with requests) or our connect queue is full, we are the slow side: the timeout doubles
    /// (up to the cap) and nobody is blamed. Otherwise each stalled peer's blocks move to other peers, the peer
    /// rests for one stall timeout; it loses its claim of the lowest height it stalled on and above (see
    /// <see cref="Disown"/>) when it only claimed that block (its announced tip on our header chain, above every header
    /// it sent us itself), or when this is its <see cref="SyncPlannerOptions.StallsBeforeClaimLost"/>th stall in a row
    /// on that height with no block delivered in between (a producer that announces its block's header and withholds the
    /// block). A stall on the top header also counts against that header, whoever was asked (see
    /// <see cref="CountHeaderStall"/>: relays and reconnects); a header refused there is dropped with everything above it.
    /// Header-chain entries no connected peer is then known to have are dropped.
    /// </summary>
    private void DetectStalls(DateTimeOffset now, List<StalledRequest> stalls)
    {
        if (_inFlight.Count == 0)
            return;
        var oldestByPeer = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var request in _inFlight.Values)
        {
            if (!oldestByPeer.TryGetValue(request.PeerId, out var oldest) || request.SentAt < oldest)
                oldestByPeer[request.PeerId] = request.SentAt;
        }
        var stalledPeers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (peerId, oldest) in oldestByPeer)
        {
            var lastDelivery = _peers.TryGetValue(peerId, out var peer) ? peer.LastDeliveryAt : DateTimeOffset.MinValue;
            var waitingSince = lastDelivery > oldest ? lastDelivery : oldest;
            if (now - waitingSince >= _stallTimeout)
                stalledPeers.Add(peerId);
        }
        if (stalledPeers.Count == 0)
            return;
        bool manyStalled = stalledPeers.Count >= 2 && stalledPeers.Count * 2 >= oldestByPeer.Count;
        bool backlogged = _received.Count >= _options.ConnectBacklogThreshold;
        if ((manyStalled || backlogged) && _stallTimeout < _options.MaxStallTimeout)
        {
            var doubled = _stallTimeout * 2;
            _stallTimeout = doubled > _options.MaxStallTimeout ? _options.MaxStallTimeout : doubled;
            return;
        }
        long refusedFrom = long.MaxValue;
        foreach (var peerId in stalledPeers)
        {
            var heights = ReleaseBlocksOf(peerId);
            // Counted on the header of the lowest height stalled on; a header is refused only from a stall on the top of
            // the header chain: the top itself, or a run of heights up to the top all asked of this peer. A producer that
            // withholds its block can have a colluding producer of the next slot build on it and withhold too; then the
            // stalls are on the lower header, asked together with the top one. During a catch-up (headers far above the
            // block stalled on) a slow peer's stalls must not cut the header chain.
            if (heights.Count > 0 && CountHeaderStall(heights[0], peerId, IsTopRun(heights), now))
                refusedFrom = Math.Min(refusedFrom, heights[0]);
            if (_peers.TryGetValue(peerId, out var peer))
            {
                peer.RestUntil = now + _stallTimeout;
                // In a row: on the same lowest height, each within ClaimProofTimeout of the one before.
                if (heights.Count == 0 || heights[0] != peer.LastStallHeight || now - peer.LastStallAt > _options.ClaimProofTimeout)
                    peer.StallsWithoutDelivery = 0;
                if (heights.Count > 0)
                    (peer.LastStallHeight, peer.LastStallAt) = (heights[0], now);
                peer.StallsWithoutDelivery++;
                // A block it only claimed (its announced tip; no header of it came from this peer) and does not serve
                // keeps nobody waiting. A peer that sent the headers itself keeps them for a few stalls (it is asked
                // again after each rest; a late delivery counts as serving), then loses them too: a header it announced
                // and never serves must not hold everyone's production (they wait while headers are above their tip).
                if (heights.Count > 0
                    && (heights[0] > peer.OwnHeadersHeight || peer.StallsWithoutDelivery >= _options.StallsBeforeClaimLost))
                {
                    Disown(peer, heights[0]);
                    peer.StallsWithoutDelivery = 0;
                }
            }
            stalls.Add(new StalledRequest(peerId, heights));
        }
        if (refusedFrom <= _headerTop)
            RefuseFrom(refusedFrom);
        DropUnservedHeaders();
    }

    /// <summary>True when <paramref name="heights"/> (sorted) run without a gap up to the top of the header chain.</summary>
    private bool IsTopRun(List<long> heights) =>
        heights.Count > 0 && heights[^1] == _headerTop && heights.Count == _headerTop - heights[0] + 1;

    /// <summary>A header was refused: it and everything above it leave the header chain.</summary>
    private void RefuseFrom(long height)
    {
        TruncateHeaderChain(height - 1);
        foreach (var peer in _peers.Values)
            peer.HeadersAskedForTip = null; // a claim above what is left is worth asking about again
    }

    /// <summary>
    /// Counts a stall by <paramref name="peerId"/> (or its leaving with the block in flight) on the block of the
    /// header-chain entry at <paramref name="height"/>, the lowest height it was asked for (each stall within
    /// <see cref="SyncPlannerOptions.ClaimProofTimeout"/> of the one before, with nobody delivering the block in between).
    /// When the stalled heights run to the top of the header chain (<paramref name="top"/>: the top itself, or the headers
    /// of colluding producers of consecutive slots, asked together) and this is the
    /// <see cref="SyncPlannerOptions.StallsBeforeClaimLost"/>th stall or later, the header is refused for
    /// <see cref="SyncPlannerOptions.ClaimProofTimeout"/>, from any peer, or until someone delivers the block, provided
    /// every connected peer that has it or claims a chain that high has stalled on it, or twice
    /// <see cref="SyncPlannerOptions.StallsBeforeClaimLost"/> different peers have (relays that come back under new node
    /// ids). Any node may relay a producer's signed header, and a peer's own count vanishes when it reconnects, so the
    /// count is kept on the header too; asking for every holder (or several peers) keeps two hostile relays that win the
    /// request in a row from refusing an honest producer's header, as the peers that have not stalled on it are asked
    /// first (<see cref="PlanBlockRequests"/>). At most <see cref="MaxStalledHeaders"/> headers are counted.
    /// </summary>
    /// <returns>True when the header is now refused.</returns>
    private bool CountHeaderStall(long height, string peerId, bool top, DateTimeOffset now)
    {
        if (!_headerByHeight.TryGetValue(height, out var hash))
            return false;
        if (!_stalledHeaders.TryGetValue(hash, out var stalled))
        {
            if (_stalledHeaders.Count >= MaxStalledHeaders)
                ForgetStalledHeaders(now);
            _stalledHeaders[hash] = stalled = new StalledHeader(height);
        }
        else if (now - stalled.LastStallAt > _options.ClaimProofTimeout)
        {
            stalled.Stalls = 0;
            stalled.Stallers.Clear();
        }
        stalled.Stalls++;
        stalled.Stallers.Add(peerId);
        stalled.LastStallAt = now;
        if (!top || stalled.Stalls < _options.StallsBeforeClaimLost)
            return false;
        if (stalled.Stallers.Count < 2 * _options.StallsBeforeClaimLost)
        {
            foreach (var peer in _peers.Values)
            {
                // Known to have it, or claiming a chain that high (during a catch-up most peers that have a block were
                // never asked for its header): someone who may have it has not stalled on it, and is asked next.
                if (Math.Min(Math.Max(peer.KnownHeaderHeight, peer.Info.BestHeight), ClaimCap(peer)) >= height
                    && !stalled.Stallers.Contains(peer.Info.PeerId))
                    return false;
            }
        }
        stalled.Stalls = 0;
        stalled.Stallers.Clear();
        stalled.RefusedUntil = now + _options.ClaimProofTimeout;
        return true;
    }

    /// <summary>Forgets stalled headers our chain passed or that are neither refused nor recently stalled; if none, the least recently stalled.</summary>
    private void ForgetStalledHeaders(DateTimeOffset now)
    {
        foreach (var (hash, stalled) in _stalledHeaders)
        {
            if (stalled.Height <= _headerBase
                || (now >= stalled.RefusedUntil && now - stalled.LastStallAt > _options.ClaimProofTimeout))
                _stalledHeaders.Remove(hash);
        }
        if (_stalledHeaders.Count < MaxStalledHeaders)
            return;
        var oldest = _stalledHeaders.MinBy(kv => kv.Value.LastStallAt).Key;
        _stalledHeaders.Remove(oldest);
    }

    /// <summary>A refusal that ran out: peers whose tips were asked about while it held are worth asking again.</summary>
    private void ExpireRefusals(DateTimeOffset now)
    {
        if (_stalledHeaders.Count == 0)
            return;
        bool expired = false;
        foreach (var stalled in _stalledHeaders.Values)
        {
            if (stalled.RefusedUntil != DateTimeOffset.MinValue && now >= stalled.RefusedUntil)
            {
                stalled.RefusedUntil = DateTimeOffset.MinValue;
                expired = true;
            }
        }
        if (!expired)
            return;
        foreach (var peer in _peers.Values)
            NotAskedSinceRefusal(peer);
    }

    /// <summary>
    /// A refusal ended: the peer is worth asking about its tip again, and until it is asked, headers from others count
    /// as progress on its claim (a reply cut by the refusal proved nothing, and only two peers are asked at a time).
    /// </summary>
    private static void NotAskedSinceRefusal(PeerState peer)
    {
        peer.HeadersAskedForTip = null;
        peer.AskedAboutClaim = false;
    }

    /// <summary>
    /// True while a header at or below <paramref name="height"/> is refused: no peer's headers above it are taken, so a
    /// claim above it cannot be proved (its claim clock pauses, as for a lost claim).
    /// </summary>
    private bool RefusedAtOrBelow(long height, DateTimeOffset now)
    {
        if (_stalledHeaders.Count == 0)
            return false;
        foreach (var stalled in _stalledHeaders.Values)
        {
            if (now < stalled.RefusedUntil && stalled.Height <= height)
                return true;
        }
        return false;
    }

    /// <summary>True while the header is refused after stalls nobody delivered (<see cref="CountHeaderStall"/>).</summary>
    private bool IsRefused(Hash256 hash) =>
        _stalledHeaders.Count > 0 && _stalledHeaders.TryGetValue(hash, out var stalled) && _time.GetUtcNow() < stalled.RefusedUntil;

    /// <summary>Just below the first refused header of <paramref name="headers"/> from index <paramref name="from"/>, or no bound.</summary>
    private long RefusedBound(IReadOnlyList<BlockLink> headers, int from)
    {
        if (_stalledHeaders.Count == 0)
            return long.MaxValue;
        for (int k = from; k < headers.Count; k++)
        {
            if (IsRefused(headers[k].Hash))
                return headers[k].Height - 1;
        }
        return long.MaxValue;
    }

    private bool NeedsHeaders(PeerState peer, DateTimeOffset now)
    {
        if (peer.HeaderRequestSentAt is not null || now < peer.RestUntil)
            return false;
        if (_forks.TryGetValue(peer.Info.PeerId, out var fork) && fork.IsActive)
            return false;
        if (HeadersFarEnoughAhead)
            return false; // more headers now would only be verified and held long before their blocks are asked for
        if (peer.WantsMoreHeaders)
            return true;
        var tip = peer.Info.TipHash;
        if (_chain.TryGetHeight(tip, out _))
            return false;
        if (_headerHeightByHash.ContainsKey(tip))
            return false;
        if (peer.Info.BestHeight < _chain.Height)
            return false; // a shorter chain can never win fork choice
        return peer.HeadersAskedForTip != tip;
    }

    private void PlanHeaderRequests(DateTimeOffset now, List<HeaderRequest> requests)
    {
        int outstanding = 0;
        foreach (var peer in _peers.Values)
        {
            if (peer.HeaderRequestSentAt is not null)
                outstanding++;
        }
        int free = _options.MaxHeaderRequestsInFlight - outstanding;
        if (free <= 0)
            return;
        List<PeerState>? candidates = null;
        foreach (var peer in _peers.Values)
        {
            if (NeedsHeaders(peer, now))
                (candidates ??= []).Add(peer);
        }
        if (candidates is null)
            return;
        // Whitelisted first, then the highest reported chain, the fastest, the lowest peer id (a total order).
        candidates.Sort(static (a, b) =>
        {
            int c = b.Info.IsPrioritySync.CompareTo(a.Info.IsPrioritySync);
            if (c == 0)
                c = b.Info.BestHeight.CompareTo(a.Info.BestHeight);
            if (c == 0)
                c = b.Info.ThroughputBlocksPerSecond.CompareTo(a.Info.ThroughputBlocksPerSecond);
            return c != 0 ? c : string.CompareOrdinal(a.Info.PeerId, b.Info.PeerId);
        });
        if (candidates.Count > free)
            candidates.RemoveRange(free, candidates.Count - free);
        var ourLocator = _chain.GetLocator();
        IReadOnlyList<Hash256> locator = _headerTop > _headerBase
            ? [_headerByHeight[_headerTop], .. ourLocator]
            : ourLocator;
        int count = HeadersToAskFor();
        foreach (var peer in candidates)
        {
            peer.HeaderRequestSentAt = now;
            peer.HeadersAskedForTip = peer.Info.TipHash;
            peer.AskedAboutClaim = true;
            peer.WantsMoreHeaders = false;
            peer.HeadersAsked = count;
            requests.Add(new HeaderRequest(peer.Info.PeerId, locator, count));
        }
    }

    /// <summary>
    /// True while <see cref="SyncPlannerOptions.MaxHeadersAhead"/> headers are known above the download frontier
    /// (headers whose blocks have not been asked for yet): no more headers are asked for until block requests use them up.
    /// </summary>
    private bool HeadersFarEnoughAhead => _headerTop - Math.Max(_frontier, _chain.Height) >= _options.MaxHeadersAhead;

    /// <summary>
    /// Headers to ask for in the next request: <see cref="SyncPlannerOptions.InitialHeadersPerRequest"/> while we know
    /// no headers above our chain, then twice what we know ahead, up to <see cref="SyncPlannerOptions.MaxHeadersPerRequest"/>.
    /// A fresh node's first reply is small, so its first block requests go out after a few hundred signature checks
    /// instead of thousands, and later replies grow while blocks already flow.
    /// </summary>
    private int HeadersToAskFor()
    {
        long ahead = Math.Max(0, _headerTop - _chain.Height);
        long wanted = Math.Max(_options.InitialHeadersPerRequest, 2 * ahead);
        return (int)Math.Min(_options.MaxHeadersPerRequest, wanted);
    }

    private void PlanBlockRequests(DateTimeOffset now, List<BlockRequest> requests)
    {
        long windowEnd = Math.Min(_headerBase + _options.DownloadWindow, _headerTop);
        if (windowEnd <= _headerBase)
            return;
        List<PeerState>? eligible = null;
        foreach (var p in _peers.Values)
        {
            if (now >= p.RestUntil
                && Math.Min(p.KnownHeaderHeight, ClaimCap(p)) > _headerBase
                && !(_forks.TryGetValue(p.Info.PeerId, out var f) && f.IsActive))
                (eligible ??= []).Add(p);
        }
        if (eligible is null)
            return;
        // Whitelisted first, then masternodes, the fastest, the lowest peer id (a total order); peers that stalled on the
        // block asked again first (the lowest height to reassign) since anyone delivered it come last, so it is asked of
        // one that has not first.
        eligible.Sort(static (a, b) =>
        {
            int c = b.Info.IsPrioritySync.CompareTo(a.Info.IsPrioritySync);
            if (c == 0)
                c = b.Info.IsMasternode.CompareTo(a.Info.IsMasternode);
            if (c == 0)
                c = b.Info.ThroughputBlocksPerSecond.CompareTo(a.Info.ThroughputBlocksPerSecond);
            return c != 0 ? c : string.CompareOrdinal(a.Info.PeerId, b.Info.PeerId);
        });
        if (_stalledHeaders.Count > 0 && _toReassign.Count > 0 && _headerByHeight.TryGetValue(_toReassign.Min, out var next)
            && _stalledHeaders.TryGetValue(next, out var stalled) && stalled.Stallers.Count > 0)
        {
            var stallers = eligible.FindAll(p => stalled.Stallers.Contains(p.Info.PeerId));
            if (stallers.Count > 0 && stallers.Count < eligible.Count)
            {
                eligible.RemoveAll(p => stalled.Stallers.Contains(p.Info.PeerId));
                eligible.AddRange(stallers);
            }
        }
        double fastest = double.MinValue;
        foreach (var p in eligible)
            fastest = Math.Max(fastest, p.Info.ThroughputBlocksPerSecond);
        foreach (var peer in eligible)
        {
            int budget = TargetInFlight(peer, fastest) - peer.InFlight;
            long limit = Math.Min(windowEnd, Math.Min(peer.KnownHeaderHeight, ClaimCap(peer)));
            while (budget > 0)
            {
                var request = NextBatch(peer, Math.Min(budget, _options.BlocksPerRequest), limit, now);
                if (request is null)
                    break;
                requests.Add(request);
                budget -= request.Hashes.Count;
            }
        }
    }

    /// <summary>
    /// Faster peers keep more blocks in flight: a peer's share of the per-peer cap follows its measured throughput
    /// relative to the fastest peer (never below one request). Unmeasured peers get the full cap.
    /// </summary>
    private int TargetInFlight(PeerState peer, double fastest)
    {
        int cap = _options.MaxBlocksInFlightPerPeer;
        double throughput = peer.Info.ThroughputBlocksPerSecond;
        if (throughput <= 0 || fastest <= 0)
            return cap;
        int floor = Math.Min(cap, _options.BlocksPerRequest);
        int scaled = (int)Math.Ceiling(cap * Math.Min(1.0, throughput / fastest));
        return Math.Clamp(scaled, floor, cap);
    }

    /// <summary>
    /// The next run of consecutive heights for the peer: first heights waiting to be reassigned (they block the
    /// connect queue), then fresh heights above the frontier. Null when nothing is left within
    /// <paramref name="limit"/>.
    /// </summary>
    private BlockRequest? NextBatch(PeerState peer, int maxCount, long limit, DateTimeOffset now)
    {
        long start;
        int count = 0;
        if (_toReassign.Count > 0 && _toReassign.Min <= limit)
        {
            start = _toReassign.Min;
            while (count < maxCount && start + count <= limit && _toReassign.Contains(start + count))
            {
                _toReassign.Remove(start + count);
                count++;
            }
        }
        else
        {
            start = _frontier + 1;
            while (count < maxCount && start + count <= limit)
            {
                long h = start + count;
                if (_inFlight.ContainsKey(h) || _received.ContainsKey(h))
                    break;
                count++;
            }
            if (count == 0)
            {
                // Heights above the frontier already arrived (late deliveries): skip them.
                while (start <= limit && (_inFlight.ContainsKey(start) || _received.ContainsKey(start)))
                    start++;
                _frontier = start - 1;
                if (start > limit)
                    return null;
                return NextBatch(peer, maxCount, limit, now);
            }
            _frontier = start + count - 1;
        }
        if (count == 0)
            return null;
        var hashes = new Hash256[count];
        for (int i = 0; i < count; i++)
        {
            long h = start + i;
            hashes[i] = _headerByHeight[h];
            _inFlight[h] = new InFlightBlock(peer.Info.PeerId, hashes[i], now);
        }
        peer.InFlight += count;
        return new BlockRequest(peer.Info.PeerId, start, hashes);
    }
}
