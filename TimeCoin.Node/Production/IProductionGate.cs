namespace TimeCoin.Node.Production;

/// <summary>
/// What the block producer needs to know about the network before it produces: whether it has peers and whether
/// a peer is ahead of it. The node composition implements it over the connection manager and the sync coordinator.
/// </summary>
public interface IProductionGate
{
    /// <summary>Number of peers connected now (handshake completed).</summary>
    int PeerCount { get; }

    /// <summary>The highest chain height headers from peers proved (never a merely claimed height); our own height or less when none is known.</summary>
    long BestPeerHeight { get; }

    /// <summary>
    /// True for a devnet that runs as a single node on purpose (the devnet launcher's one-node mode): it may produce
    /// without peers.
    /// </summary>
    bool IsSingleNodeDevnet { get; }
}
