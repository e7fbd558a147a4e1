namespace TimeCoin.Node.Services;

/// <summary>The analysis' <c>sync_status</c>: where we are, who is best, whether we are catching up.</summary>
/// <param name="Height">Our active chain height.</param>
/// <param name="BestPeerId">The peer reporting the best chain (node id hex), or null without peers.</param>
/// <param name="BestPeerAddress">That peer's address when it is connected, or null.</param>
/// <param name="BestHeight">The best height reported by a peer (or ours, if higher).</param>
/// <param name="IsSyncing">True while a peer is ahead, blocks are in flight or a fork is being resolved.</param>
/// <param name="BlocksInFlight">Blocks requested and not yet delivered.</param>
public sealed record SyncStatusSummary(long Height, string? BestPeerId, string? BestPeerAddress, long BestHeight, bool IsSyncing, int BlocksInFlight);
