using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>What a peer has told us about its chain, plus what we know about the peer itself.</summary>
/// <param name="PeerId">The peer's node id (hex).</param>
/// <param name="BestHeight">Height of the peer's best chain, as it reported.</param>
/// <param name="TipHash">Hash of the peer's best tip, as it reported.</param>
/// <param name="IsPrioritySync">True for whitelisted peers (priority sync): preferred for downloads and given deeper fork searches.</param>
/// <param name="IsMasternode">True when the peer is a known masternode (preferred after whitelisted peers).</param>
/// <param name="ThroughputBlocksPerSecond">Measured delivery rate; zero or less when not measured yet.</param>
public sealed record PeerSyncInfo(
    string PeerId,
    long BestHeight,
    Hash256 TipHash,
    bool IsPrioritySync = false,
    bool IsMasternode = false,
    double ThroughputBlocksPerSecond = 0);
