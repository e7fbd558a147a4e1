namespace TimeCoin.Sync;

/// <summary>A snapshot of the sync planner, for RPC and metrics.</summary>
/// <param name="Height">Height of our active chain.</param>
/// <param name="HeaderHeight">Height of the best header chain we know (at least <paramref name="Height"/>).</param>
/// <param name="BestPeerId">The peer with the highest reported chain, or null without peers.</param>
/// <param name="BestHeight">The highest height reported by any peer (or ours, if higher).</param>
/// <param name="IsSyncing">True while a peer is ahead of us, blocks are in flight or a fork is being resolved.</param>
/// <param name="BlocksInFlight">Blocks requested and not yet delivered, over all peers.</param>
/// <param name="BlocksInFlightPerPeer">Blocks in flight by peer id (peers with none are left out).</param>
/// <param name="StallTimeout">The current (adaptive) stall timeout.</param>
/// <param name="ForkResolutions">Fork resolutions in progress or recently finished, by peer.</param>
public sealed record SyncStatus(
    long Height,
    long HeaderHeight,
    string? BestPeerId,
    long BestHeight,
    bool IsSyncing,
    int BlocksInFlight,
    IReadOnlyDictionary<string, int> BlocksInFlightPerPeer,
    TimeSpan StallTimeout,
    IReadOnlyList<ForkResolutionStatus> ForkResolutions);
