namespace TimeCoin.Sync;

/// <summary>
/// Bounds of the block download. Bitcoin Core keeps 16 blocks in flight per peer and a 1,024-block window for
/// blocks of up to 4 MB; TIME Coin blocks are a few KiB, so the defaults are 8 and 4 times larger.
/// </summary>
public sealed record SyncPlannerOptions
{
    /// <summary>Hard cap on blocks requested from one peer and not yet delivered.</summary>
    public int MaxBlocksInFlightPerPeer { get; init; } = 128;

    /// <summary>Blocks are only requested up to this many heights above our tip.</summary>
    public int DownloadWindow { get; init; } = 4_096;

    /// <summary>Most blocks in one request.</summary>
    public int BlocksPerRequest { get; init; } = 32;

    /// <summary>Most header requests outstanding at once (over all peers).</summary>
    public int MaxHeaderRequestsInFlight { get; init; } = 2;

    /// <summary>Most headers asked for per request (a full reply means the peer has more).</summary>
    public int MaxHeadersPerRequest { get; init; } = 2_000;

    /// <summary>
    /// Most headers asked for while no header above our chain is known yet (a fresh node's first request, or after
    /// catching up); each later request asks for twice the headers known ahead of our chain, up to
    /// <see cref="MaxHeadersPerRequest"/>. Small first replies let block requests start after a few hundred
    /// signature checks instead of thousands; 500 still brings a node that restarts a few hundred blocks behind every
    /// peer's tip in one reply, so all its peers can serve blocks at once. Values above
    /// <see cref="MaxHeadersPerRequest"/> act as it.
    /// </summary>
    public int InitialHeadersPerRequest { get; init; } = 500;

    /// <summary>
    /// No more headers are asked for while this many known headers wait above the download frontier (their blocks
    /// not asked for yet). Every header costs a signature check when it arrives and memory until its block connects, so
    /// the header chain stays within <see cref="DownloadWindow"/> + this + <see cref="MaxHeadersPerRequest"/> of our
    /// chain: an initial download of millions of blocks does not verify and hold the whole header chain up front, and a
    /// fresh node's first blocks do not wait behind thousands of header checks on the same connection.
    /// </summary>
    public int MaxHeadersAhead { get; init; } = 1_000;

    /// <summary>A header request unanswered for this long is dropped and the peer rests for one stall timeout.</summary>
    public TimeSpan HeaderRequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Starting (and lowest) stall timeout: a block request older than this has stalled.</summary>
    public TimeSpan BaseStallTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The stall timeout never grows beyond this.</summary>
    public TimeSpan MaxStallTimeout { get; init; } = TimeSpan.FromSeconds(64);

    /// <summary>Factor applied to the stall timeout after each on-time delivery (it decays back towards the base).</summary>
    public double StallTimeoutDecay { get; init; } = 0.85;

    /// <summary>
    /// When this many delivered blocks wait to be connected, our own connect queue is the bottleneck and stalls
    /// are blamed on us, not on the peers.
    /// </summary>
    public int ConnectBacklogThreshold { get; init; } = 2_048;

    /// <summary>Limits of fork resolution.</summary>
    public ForkResolverOptions ForkResolution { get; init; } = new();

    /// <summary>
    /// Stalls in a row (blamed on the peer, on the same lowest height, each within <see cref="ClaimProofTimeout"/> of the
    /// one before, with no block of our header chain delivered by it in between) after which a peer loses its claim of
    /// that height and above, even for headers it sent us itself (a peer that only claimed a block loses it at its first
    /// stall). The same number of stalls on the top header of the header chain, whichever peers were asked (relays,
    /// reconnected peers), with nobody delivering its block, gets that header dropped and refused from every peer for
    /// <see cref="ClaimProofTimeout"/> or until its block arrives, once every connected peer known to have it stalled on
    /// it, or twice this many different peers did. Default 2: a producer that announces its block's
    /// header and withholds the block holds the header chain above our tip (and so every node's production) for two to
    /// three stall timeouts (6-8 s at the 2 s base stall timeout; the stall timeout grows while we are the slow side).
    /// A slow peer keeps its claim while blocks it delivers reach the planner; a late copy of a block another peer
    /// delivered first does not (the caller keeps the first copy only), nor one that arrives after the second stall.
    /// </summary>
    public int StallsBeforeClaimLost { get; init; } = 2;

    /// <summary>
    /// How long a peer may claim a height above everything we know (handshake, announcements, pongs) without
    /// headers that prove it before the claim is reported as <see cref="MisbehaviourKind.UnbackedHeightClaim"/>
    /// (again after each further period); the clock restarts when the peer's own headers tell us more, or when other
    /// peers' headers extend our header chain before the peer was asked (or while it waits to be asked again after a full
    /// reply). Only headers proving every height claimed stop the clock, or the claim staying within what we know for this
    /// long; while the claim is exempt (lost claim, fork resolution) or the peer is away it pauses. Default 5 minutes: well above a header
    /// request timeout plus the longest stall rest, so a slow honest peer is not reported.
    /// </summary>
    public TimeSpan ClaimProofTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBlocksInFlightPerPeer, nameof(MaxBlocksInFlightPerPeer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DownloadWindow, nameof(DownloadWindow));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BlocksPerRequest, nameof(BlocksPerRequest));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHeaderRequestsInFlight, nameof(MaxHeaderRequestsInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeadersPerRequest, 2, nameof(MaxHeadersPerRequest));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialHeadersPerRequest, 2, nameof(InitialHeadersPerRequest));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHeadersAhead, nameof(MaxHeadersAhead));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeaderRequestTimeout, TimeSpan.Zero, nameof(HeaderRequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BaseStallTimeout, TimeSpan.Zero, nameof(BaseStallTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStallTimeout, BaseStallTimeout, nameof(MaxStallTimeout));
        if (!(StallTimeoutDecay > 0 && StallTimeoutDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(StallTimeoutDecay), StallTimeoutDecay, "must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ConnectBacklogThreshold, nameof(ConnectBacklogThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClaimProofTimeout, TimeSpan.Zero, nameof(ClaimProofTimeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StallsBeforeClaimLost, nameof(StallsBeforeClaimLost));
        ArgumentNullException.ThrowIfNull(ForkResolution, nameof(ForkResolution));
        ForkResolution.Validate();
    }
}
