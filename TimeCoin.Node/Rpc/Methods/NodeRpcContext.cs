using TimeCoin.Core.Policy;
using TimeCoin.Node.Production;
using TimeCoin.Node.Services;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Rpc.Methods;

/// <summary>The node state the RPC methods of <see cref="NodeRpcMethods"/> read and change.</summary>
public sealed class NodeRpcContext
{
    /// <summary>The chain (and, through it, the parameters).</summary>
    public required ChainStore Chain { get; init; }

    /// <summary>The database holding the audit log.</summary>
    public required NodeDatabase Database { get; init; }

    /// <summary>The peer policy (whitelist and bans).</summary>
    public required PeerPolicy Policy { get; init; }

    /// <summary>The block producer; null when the node does not produce (then <c>generate</c> says so).</summary>
    public BlockProducer? Producer { get; init; }

    /// <summary>The peer-to-peer layer's status; "not running" by default.</summary>
    public INetworkStatus Network { get; init; } = NotRunningNetworkStatus.Instance;

    /// <summary>The sync coordinator's status; "not running" by default.</summary>
    public ISyncStatus Sync { get; init; } = NotRunningSyncStatus.Instance;
}
