namespace TimeCoin.Node.Services;

/// <summary>What RPC reports about the peer-to-peer layer; the node implements it over the connection manager.</summary>
public interface INetworkStatus
{
    /// <summary>True when the peer-to-peer layer runs.</summary>
    bool IsRunning { get; }

    /// <summary>Peers connected now (handshake completed).</summary>
    int PeerCount { get; }

    /// <summary>Highest chain height reported by a connected peer; 0 when none.</summary>
    long BestPeerHeight { get; }

    /// <summary>The full report (connections, whitelisted peers, sync summary, alerts, disconnects); null when not running.</summary>
    NetworkStatusReport? GetReport() => null;
}
