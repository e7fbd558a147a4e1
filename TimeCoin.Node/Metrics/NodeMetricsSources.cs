using TimeCoin.Core.Chain;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Metrics;

/// <summary>The node services <see cref="NodeMetrics"/> reads. Every instrument is a thin reader of one of them.</summary>
public sealed class NodeMetricsSources
{
    /// <summary>The live connections and their disconnects.</summary>
    public required ConnectionManager Connections { get; init; }

    /// <summary>The sync coordinator (height, best peer height, blocks in flight).</summary>
    public required SyncCoordinator Sync { get; init; }

    /// <summary>The chain (height).</summary>
    public required ChainState Chain { get; init; }

    /// <summary>Whitelist, bans and violations.</summary>
    public required PeerPolicy Policy { get; init; }

    /// <summary>The masternode registry (active/offline).</summary>
    public required HeartbeatRegistry Masternodes { get; init; }

    /// <summary>The node's alerts.</summary>
    public required AlertCenter Alerts { get; init; }
}
