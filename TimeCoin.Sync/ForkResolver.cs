using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// One bounded state machine that resolves a fork with one peer: Detected → FindingAncestor → FetchingBranch →
/// Validating → Switch or Keep, or GaveUp with a reason and a timeout after which the peer may be retried.
/// </summary>
/// <remarks>
/// <para>Ancestor search: the first round trip sends our ordinary locator; the peer answers with the headers after
/// the highest locator hash it shares. Those headers start in our chain and the first one that is not ours marks
/// the fork, so the exact ancestor comes out of the reply. When the reply lies entirely in our chain (a deep fork,
/// where the locator spacing exceeds one reply), the second round trip sends a dense locator of evenly spaced hashes
/// between the highest common block seen and the depth limit, which puts the fork inside the next reply.</para>
/// <para>Only as much of the branch is fetched as fork choice needs: up to one block above our height when the peer
/// is longer, up to the peer's tip at equal height. The branch is therefore bounded by the depth limit + 1.</para>
/// <para>Not thread-safe: it has one owner (the sync planner, driven by the coordinator loop).</para>
/// </remarks>
internal sealed class ForkResolver
{
    /// <summary>Ancestor searches that need more round trips than this fail the attempt (two suffice within the limits).</summary>
    private const int MaxAncestorRoundTrips = 4;

    private enum Awaiting { Nothing, Headers, Blocks, Validation }

    private readonly IChainView _chain;
    private readonly ForkResolverOptions _options;
    private readonly TimeProvider _time;
    private readonly List<BlockLink> _branch = [];
    private readonly Dictionary<Hash256, int> _branchIndex = [];
    private readonly HashSet<Hash256> _blocksInFlight = [];
    private readonly HashSet<Hash256> _blocksReceived = [];
    private readonly List<PeerMisbehaviour> _misbehaviours = [];

    private Awaiting _awaiting;
    private HeaderRequest? _pendingHeaderRequest;
    private DateTimeOffset _requestSentAt;
    private long _targetHeight;
    private int _nextBlockIndex;
    private bool _validationTaken;
    private ForkSwitch? _switch;

    /// <summary>Creates a resolver for one divergent peer, in state <see cref="ForkResolutionState.Detected"/>.</summary>
    /// <param name="peerId">The peer whose tip is not in our chain.</param>
    /// <param name="isPriorityPeer">Whitelisted (priority-sync) peers get the deeper search and more retries.</param>
    /// <param name="chain">Our active chain.</param>
    /// <param name="options">Limits.</param>
    /// <param name="time">Clock for request timeouts and the give-up timeout.</param>
    public ForkResolver(string peerId, bool isPriorityPeer, IChainView chain, ForkResolverOptions options, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(peerId);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        PeerId = peerId;
        IsPriorityPeer = isPriorityPeer;
        _chain = chain;
        _options = options;
        _time = time;
    }

    /// <summary>The divergent peer.</summary>
    public string PeerId { get; }

    /// <summary>True for a whitelisted (priority-sync) peer.</summary>
    public bool IsPriorityPeer { get; }

    /// <summary>
    /// Deepest fork this peer may take us through: the search depth for its class (2,000 ordinary, 10,000 whitelisted
    /// by default), and never more than the chain's own <see cref="IChainView.MaxReorgDepth"/>. This is the one place the
    /// two limits meet.
    /// </summary>
    public int DepthLimit => Math.Min(IsPriorityPeer ? _options.PriorityDepthLimit : _options.OrdinaryDepthLimit, _chain.MaxReorgDepth);

    /// <summary>Failed attempts tolerated before giving up is this many retries.</summary>
    public int MaxRetries => IsPriorityPeer ? _options.PriorityMaxRetries : _options.OrdinaryMaxRetries;

    /// <summary>Current state.</summary>
    public ForkResolutionState State { get; private set; } = ForkResolutionState.Detected;

    /// <summary>Height of the common ancestor once found.</summary>
    public long? AncestorHeight { get; private set; }

    /// <summary>Branch headers known beyond the ancestor.</summary>
    public int BranchLength => _branch.Count;

    /// <summary>Header round trips used to find the ancestor in the current attempt.</summary>
    public int RoundTrips { get; private set; }

    /// <summary>Attempts that failed so far.</summary>
    public int FailedAttempts { get; private set; }

    /// <summary>Why the last attempt failed, or why resolution stopped; null when nothing went wrong.</summary>
    public string? LastError { get; private set; }

    /// <summary>Why resolution ended in <see cref="ForkResolutionState.Keep"/> or <see cref="ForkResolutionState.Switch"/>.</summary>
    public string? Outcome { get; private set; }

    /// <summary>In <see cref="ForkResolutionState.GaveUp"/>: when a new attempt is allowed.</summary>
    public DateTimeOffset? RetryAllowedAt { get; private set; }

    /// <summary>The peer's best height as reported or proven by its headers.</summary>
    public long PeerBestHeight { get; private set; }

    /// <summary>True while the resolver is working (finding the ancestor, fetching or validating).</summary>
    public bool IsActive => State is ForkResolutionState.FindingAncestor or ForkResolutionState.FetchingBranch or ForkResolutionState.Validating;

    /// <summary>Branch blocks requested and not yet delivered.</summary>
    public int BlocksInFlight => _blocksInFlight.Count;

    /// <summary>True when <see cref="Start"/> would begin a new resolution now (idle, finished, or give-up timeout over).</summary>
    public bool CanStart => State switch
    {
        ForkResolutionState.GaveUp => _time.GetUtcNow() >= RetryAllowedAt,
        _ => !IsActive,
    };

    /// <summary>
    /// Begins (or, after a finish or an expired give-up, restarts) resolution with the peer's reported chain:
    /// queues a header request carrying our locator. False, with nothing changed, when <see cref="CanStart"/> is false.
    /// </summary>
    public bool Start(long peerBestHeight, Hash256 peerTipHash)
    {
        if (!BeginNew(peerBestHeight, peerTipHash))
            return false;
        if (State == ForkResolutionState.FindingAncestor)
            QueueHeaderRequest(_chain.GetLocator());
        return true;
    }

    /// <summary>
    /// Begins resolution from the reply to a locator someone else already sent (the sync planner's catch-up header
    /// request): that reply counts as the first round trip. False when <see cref="CanStart"/> is false.
    /// </summary>
    /// <param name="peerBestHeight">The peer's reported best height.</param>
    /// <param name="peerTipHash">The peer's reported tip.</param>
    /// <param name="headers">The reply.</param>
    /// <param name="replyWasFull">True when the reply had as many headers as were asked for (the peer has more).</param>
    public bool StartFromHeaderReply(long peerBestHeight, Hash256 peerTipHash, IReadOnlyList<BlockLink> headers, bool replyWasFull)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!BeginNew(peerBestHeight, peerTipHash))
            return false;
        if (State == ForkResolutionState.FindingAncestor)
        {
            _awaiting = Awaiting.Headers;
            HandleHeaders(headers, replyWasFull);
        }
        return true;
    }

    /// <summary>The header request to send now, once; null when none is due.</summary>
    public HeaderRequest? TakeHeaderRequest()
    {
        var request = _pendingHeaderRequest;
        if (request is null)
            return null;
        _pendingHeaderRequest = null;
        _awaiting = Awaiting.Headers;
        _requestSentAt = _time.GetUtcNow();
        return request;
    }

    /// <summary>Branch block requests to send now, never more than <paramref name="budget"/> blocks in all.</summary>
    public IReadOnlyList<BlockRequest> TakeBlockRequests(int budget)
    {
        if (State != ForkResolutionState.FetchingBranch || _awaiting == Awaiting.Headers || _pendingHeaderRequest is not null)
            return [];
        var requests = new List<BlockRequest>();
        var now = _time.GetUtcNow();
        while (budget > 0 && _nextBlockIndex < _branch.Count)
        {
            int count = Math.Min(Math.Min(budget, _options.MaxBlocksPerRequest), _branch.Count - _nextBlockIndex);
            var hashes = new Hash256[count];
            for (int i = 0; i < count; i++)
            {
                hashes[i] = _branch[_nextBlockIndex + i].Hash;
                _blocksInFlight.Add(hashes[i]);
            }
            requests.Add(new BlockRequest(PeerId, _branch[_nextBlockIndex].Height, hashes));
            _nextBlockIndex += count;
            budget -= count;
        }
        if (requests.Count > 0)
        {
            _awaiting = Awaiting.Blocks;
            _requestSentAt = now;
        }
        return requests;
    }

    /// <summary>The branch to validate, once, when all its blocks arrived; null otherwise.</summary>
    public BranchValidationRequest? TakeValidationRequest()
    {
        if (State != ForkResolutionState.Validating || _validationTaken)
            return null;
        _validationTaken = true;
        return new BranchValidationRequest(PeerId, AncestorHeight!.Value, _branch.Select(l => l.Hash).ToArray());
    }

    /// <summary>
    /// The reorganisation to carry out, once, when the state is <see cref="ForkResolutionState.Switch"/>. Our chain may
    /// have grown since the decision; a switch that would now disconnect more than <see cref="DepthLimit"/> blocks is
    /// not handed out: resolution gives up instead.
    /// </summary>
    public ForkSwitch? TakeSwitch()
    {
        var decision = _switch;
        _switch = null;
        if (decision is not null && GiveUpIfTooDeep(decision.AncestorHeight))
            return null;
        return decision;
    }

    /// <summary>Misbehaviour seen since the last call.</summary>
    public IReadOnlyList<PeerMisbehaviour> TakeMisbehaviours()
    {
        if (_misbehaviours.Count == 0)
            return [];
        var list = _misbehaviours.ToArray();
        _misbehaviours.Clear();
        return list;
    }

    /// <summary>True when <paramref name="hash"/> is a block of the branch being fetched.</summary>
    public bool IsBranchBlock(Hash256 hash) => _branchIndex.ContainsKey(hash);

    /// <summary>The peer's reply to our last header request.</summary>
    public void OnHeaders(IReadOnlyList<BlockLink> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!IsActive || _awaiting != Awaiting.Headers)
            return;
        HandleHeaders(headers, headers.Count >= _options.MaxHeadersPerRequest);
    }

    /// <summary>Blocks delivered by the peer; those not in the branch are ignored.</summary>
    public void OnBlocksReceived(IReadOnlyList<BlockLink> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (State != ForkResolutionState.FetchingBranch)
            return;
        foreach (var block in blocks)
        {
            if (_blocksInFlight.Remove(block.Hash))
                _blocksReceived.Add(block.Hash);
        }
        if (_blocksInFlight.Count > 0)
            _requestSentAt = _time.GetUtcNow(); // still delivering: the timeout runs from the last progress
        else
            _awaiting = Awaiting.Nothing;
        if (_blocksReceived.Count == _branch.Count && _branch.Count > 0)
        {
            State = ForkResolutionState.Validating;
            _awaiting = Awaiting.Validation;
            _validationTaken = false;
        }
    }

    /// <summary>
    /// The caller's verdict on the branch. Invalid: the peer is reported and resolution gives up. Valid: switch
    /// when fork choice prefers the branch over our current chain, otherwise keep ours; but when our chain has grown
    /// since the ancestor was found so that the switch would disconnect more than <see cref="DepthLimit"/> blocks,
    /// resolution gives up (the peer is not reported: its branch is valid).
    /// </summary>
    public void OnBranchValidated(bool valid, string? reason)
    {
        if (State != ForkResolutionState.Validating)
            return;
        long ancestor = AncestorHeight!.Value;
        if (!valid)
        {
            var detail = $"branch above height {ancestor} is invalid: {reason ?? "no reason given"}";
            _misbehaviours.Add(new PeerMisbehaviour(PeerId, MisbehaviourKind.InvalidBranch, detail));
            GiveUp(detail);
            return;
        }
        if (_chain.HashAtHeight(ancestor) != _branch[0].PreviousHash)
        {
            FailAttempt($"our chain changed below the fork point (height {ancestor})");
            return;
        }
        if (GiveUpIfTooDeep(ancestor))
            return;
        var tip = _branch[^1];
        if (ForkChoice.Prefers(tip.Height, tip.Hash, _chain.Height, _chain.TipHash))
        {
            State = ForkResolutionState.Switch;
            Outcome = tip.Height > _chain.Height
                ? $"branch is longer ({tip.Height} > {_chain.Height})"
                : $"equal height {tip.Height}, branch tip hash is lower";
            _switch = new ForkSwitch(PeerId, ancestor, _branch.Select(l => l.Hash).ToArray());
        }
        else
        {
            Keep(tip.Height < _chain.Height
                ? $"our chain is longer ({_chain.Height} > {tip.Height})"
                : $"equal height {tip.Height}, our tip hash is lower");
        }
    }

    /// <summary>A request to the peer failed (not found, disconnect, refused): the attempt fails and is retried or given up.</summary>
    public void OnRequestFailed(string reason)
    {
        if (IsActive && State != ForkResolutionState.Validating)
            FailAttempt(reason);
    }

    /// <summary>Fails the attempt when a request has been unanswered longer than the request timeout.</summary>
    public void CheckTimeouts()
    {
        if (!IsActive || _awaiting is not (Awaiting.Headers or Awaiting.Blocks))
            return;
        var waited = _time.GetUtcNow() - _requestSentAt;
        if (waited >= _options.RequestTimeout)
            FailAttempt($"{(_awaiting == Awaiting.Headers ? "header" : "block")} request unanswered for {waited.TotalSeconds:0.#} s");
    }

    /// <summary>A snapshot for RPC.</summary>
    public ForkResolutionStatus GetStatus() =>
        new(PeerId, State, AncestorHeight, BranchLength, RoundTrips, FailedAttempts, LastError, Outcome,
            State == ForkResolutionState.GaveUp ? RetryAllowedAt : null);

    private bool BeginNew(long peerBestHeight, Hash256 peerTipHash)
    {
        if (!CanStart)
            return false;
        ResetAttempt();
        FailedAttempts = 0;
        LastError = null;
        Outcome = null;
        RetryAllowedAt = null;
        PeerBestHeight = peerBestHeight;
        if (_chain.TryGetHeight(peerTipHash, out _))
        {
            Keep("peer's tip is in our chain");
            return true;
        }
        if (peerBestHeight < _chain.Height)
        {
            Keep($"peer's chain is shorter ({peerBestHeight} < {_chain.Height})");
            return true;
        }
        State = ForkResolutionState.FindingAncestor;
        return true;
    }

    private void ResetAttempt()
    {
        _branch.Clear();
        _branchIndex.Clear();
        _blocksInFlight.Clear();
        _blocksReceived.Clear();
        _pendingHeaderRequest = null;
        _awaiting = Awaiting.Nothing;
        _nextBlockIndex = 0;
        _validationTaken = false;
        _switch = null;
        AncestorHeight = null;
        RoundTrips = 0;
    }

    private void QueueHeaderRequest(IReadOnlyList<Hash256> locator)
    {
        _pendingHeaderRequest = new HeaderRequest(PeerId, locator, _options.MaxHeadersPerRequest);
        _awaiting = Awaiting.Nothing;
    }

    private void HandleHeaders(IReadOnlyList<BlockLink> headers, bool replyWasFull)
    {
        _awaiting = Awaiting.Nothing;
        if (!BlockLink.FormChain(headers, out var error))
        {
            ReportNonLinking(error!);
            return;
        }
        if (State == ForkResolutionState.FindingAncestor)
            HandleAncestorReply(headers, replyWasFull);
        else
            HandleBranchHeaders(headers, replyWasFull);
    }

    private void HandleAncestorReply(IReadOnlyList<BlockLink> headers, bool replyWasFull)
    {
        RoundTrips++;
        if (headers.Count == 0)
        {
            Keep("peer has nothing after our locator");
            return;
        }
        var first = headers[0];
        if (!_chain.TryGetHeight(first.PreviousHash, out long parentHeight) || parentHeight != first.Height - 1)
        {
            ReportNonLinking($"first header (height {first.Height}) does not link to our chain");
            return;
        }

        long common = parentHeight;
        int i = 0;
        while (i < headers.Count && _chain.TryGetHeight(headers[i].Hash, out long h) && h == headers[i].Height)
        {
            common = h;
            i++;
        }

        if (i == headers.Count)
        {
            if (!replyWasFull)
            {
                Keep("peer's chain is contained in ours");
                return;
            }
            if (RoundTrips >= MaxAncestorRoundTrips)
            {
                FailAttempt($"common ancestor not found after {RoundTrips} round trips");
                return;
            }
            long floor = Math.Max(common, _chain.Height - DepthLimit - 1);
            QueueHeaderRequest(BlockLocator.Dense(_chain, floor, _options.DenseLocatorSize));
            return;
        }

        AncestorHeight = common;
        if (common == _chain.Height)
        {
            Keep("peer's chain extends ours (not a fork)");
            return;
        }
        long depth = _chain.Height - common;
        if (depth > DepthLimit)
        {
            GiveUp($"fork is {depth} blocks deep, beyond the limit of {DepthLimit}");
            return;
        }
        State = ForkResolutionState.FetchingBranch;
        AppendBranch(headers, i);
        ContinueBranch(replyWasFull);
    }

    private void HandleBranchHeaders(IReadOnlyList<BlockLink> headers, bool replyWasFull)
    {
        if (headers.Count == 0)
        {
            ContinueBranch(replyWasFull: false);
            return;
        }
        var last = _branch[^1];
        if (headers[0].PreviousHash != last.Hash || headers[0].Height != last.Height + 1)
        {
            ReportNonLinking($"branch headers from height {headers[0].Height} do not link to the branch at height {last.Height}");
            return;
        }
        AppendBranch(headers, 0);
        ContinueBranch(replyWasFull);
    }

    private void AppendBranch(IReadOnlyList<BlockLink> headers, int from)
    {
        for (int i = from; i < headers.Count; i++)
        {
            _branchIndex[headers[i].Hash] = _branch.Count;
            _branch.Add(headers[i]);
        }
        PeerBestHeight = Math.Max(PeerBestHeight, _branch[^1].Height);
    }

    /// <summary>Trims the branch to what fork choice needs and asks for more headers or starts fetching blocks.</summary>
    private void ContinueBranch(bool replyWasFull)
    {
        // The depth was checked when the ancestor was found; our chain may have grown since (blocks from other peers,
        // our own slots). Fetching a branch the switch could not take is wasted work.
        if (GiveUpIfTooDeep(AncestorHeight!.Value))
            return;
        long ourHeight = _chain.Height;
        _targetHeight = PeerBestHeight > ourHeight ? ourHeight + 1 : ourHeight;
        long known = _branch[^1].Height;
        if (known > _targetHeight)
        {
            int keep = (int)(_targetHeight - AncestorHeight!.Value);
            for (int i = keep; i < _branch.Count; i++)
                _branchIndex.Remove(_branch[i].Hash);
            _branch.RemoveRange(keep, _branch.Count - keep);
            known = _targetHeight;
        }
        if (known < _targetHeight)
        {
            if (replyWasFull)
            {
                QueueHeaderRequest([_branch[^1].Hash]);
                return;
            }
            // The peer claimed more than it could show: judge the branch it actually has.
            PeerBestHeight = known;
            if (known < ourHeight)
            {
                Keep($"peer's branch is shorter ({known} < {ourHeight})");
                return;
            }
            _targetHeight = known;
        }
        _awaiting = Awaiting.Nothing;
    }

    /// <summary>
    /// Gives up when switching at <paramref name="ancestor"/> would now disconnect more than <see cref="DepthLimit"/>
    /// of our blocks. The limit is checked when the ancestor is found and again here, because our chain keeps growing
    /// while the branch is fetched and validated. True when it gave up.
    /// </summary>
    private bool GiveUpIfTooDeep(long ancestor)
    {
        long depth = _chain.Height - ancestor;
        if (depth <= DepthLimit)
            return false;
        GiveUp($"fork is now {depth} blocks deep (our chain grew during resolution), beyond the limit of {DepthLimit}");
        return true;
    }

    private void ReportNonLinking(string detail)
    {
        _misbehaviours.Add(new PeerMisbehaviour(PeerId, MisbehaviourKind.NonLinkingChain, detail));
        FailAttempt(detail);
    }

    private void FailAttempt(string error)
    {
        LastError = error;
        FailedAttempts++;
        if (FailedAttempts > MaxRetries)
        {
            GiveUp($"gave up after {FailedAttempts} failed attempts; last: {error}");
            return;
        }
        ResetAttempt();
        State = ForkResolutionState.FindingAncestor;
        QueueHeaderRequest(_chain.GetLocator());
    }

    private void GiveUp(string reason)
    {
        ResetAttemptKeepingProgress();
        State = ForkResolutionState.GaveUp;
        LastError = reason;
        RetryAllowedAt = _time.GetUtcNow() + _options.GiveUpTimeout;
    }

    private void ResetAttemptKeepingProgress()
    {
        _blocksInFlight.Clear();
        _pendingHeaderRequest = null;
        _awaiting = Awaiting.Nothing;
        _switch = null;
    }

    private void Keep(string outcome)
    {
        ResetAttemptKeepingProgress();
        State = ForkResolutionState.Keep;
        Outcome = outcome;
    }
}
