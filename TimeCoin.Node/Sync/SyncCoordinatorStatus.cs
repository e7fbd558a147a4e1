using TimeCoin.Core.Crypto;
using TimeCoin.Sync;

namespace TimeCoin.Node.Sync;

/// <summary>A snapshot of the sync coordinator for RPC (<c>get-blockchain-info</c>, <c>get-network-info</c>) and metrics.</summary>
/// <param name="Enabled">False when the kill switch <c>sync.enabled</c> is off.</param>
/// <param name="Height">Our active chain height.</param>
/// <param name="TipHash">Our active chain tip.</param>
/// <param name="BestPeerId">The peer reporting the best chain, or null without peers.</param>
/// <param name="BestHeight">The best height reported by any peer (or ours, if higher).</param>
/// <param name="HeaderHeight">Height of the best header chain downloaded so far.</param>
/// <param name="IsSyncing">True while a peer is ahead, blocks are in flight or a fork is being resolved.</param>
/// <param name="BlocksInFlight">Blocks requested and not yet delivered.</param>
/// <param name="PeerCount">Peers the coordinator knows.</param>
/// <param name="ForkResolution">The fork resolution in progress (or the latest one), or null.</param>
/// <param name="ForkResolutions">Every fork resolution the planner tracks, by peer.</param>
/// <param name="LagAlertRaised">True while the sync-lag alert is raised.</param>
/// <param name="LaggingSince">When we fell more than the warning threshold behind, or null.</param>
/// <param name="PeerThroughput">Measured delivery rate by peer id, in blocks per second (measured peers only).</param>
/// <param name="LastError">The last error (invalid block, failed switch, send failure, exception), or null.</param>
/// <param name="LastErrorAt">When <paramref name="LastError"/> happened.</param>
/// <param name="LastRoundAt">When the last sync round ran, or null before the first.</param>
/// <param name="Rounds">Sync rounds run since start.</param>
/// <param name="BlocksInFlightPerPeer">Blocks in flight by peer id as the planner counts them against its per-peer
/// cap (peers with none are left out).</param>
public sealed record SyncCoordinatorStatus(
    bool Enabled,
    long Height,
    Hash256 TipHash,
    string? BestPeerId,
    long BestHeight,
    long HeaderHeight,
    bool IsSyncing,
    int BlocksInFlight,
    int PeerCount,
    ForkResolutionStatus? ForkResolution,
    IReadOnlyList<ForkResolutionStatus> ForkResolutions,
    bool LagAlertRaised,
    DateTimeOffset? LaggingSince,
    IReadOnlyDictionary<string, double> PeerThroughput,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastRoundAt,
    long Rounds,
    IReadOnlyDictionary<string, int> BlocksInFlightPerPeer);
