using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>Everything one node needs, already resolved (paths, keys, parsed settings). Built from a
/// <see cref="Config.NodeConfig"/> by <see cref="TimeNodeOptionsBuilder"/>, or directly by the devnet launcher.</summary>
public sealed record TimeNodeOptions
{
    /// <summary>Network, genesis, federation and limits.</summary>
    public required ChainParameters Chain { get; init; }

    /// <summary>The data directory (database, cookie, key).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The node's persistent identity; it also signs heartbeats and, when in the federation, blocks.</summary>
    public required KeyPair Identity { get; init; }

    /// <summary>Peer-to-peer settings (listen endpoint, lists, discovery, liveness).</summary>
    public required ConnectionManagerOptions Connections { get; init; }

    /// <summary>Sync coordinator settings (kill switch, interval, lag alert).</summary>
    public SyncCoordinatorOptions Sync { get; init; } = new();

    /// <summary>Peer policy settings (ladder, admission, caps).</summary>
    public PeerPolicyOptions Policy { get; init; } = new();

    /// <summary>Heartbeat registry settings.</summary>
    public HeartbeatOptions Heartbeats { get; init; } = new();

    /// <summary>Chain store settings (how many threads verify block signatures; 1 = inline, no thread pool).</summary>
    public ChainStoreOptions Store { get; init; } = new();

    /// <summary>True when this node announces itself as a masternode and sends signed heartbeats.</summary>
    public bool IsMasternode { get; init; }

    /// <summary>The tier a masternode announces.</summary>
    public MasternodeTier Tier { get; init; } = MasternodeTier.Free;

    /// <summary>True for a devnet of one node: it produces with no peers.</summary>
    public bool SingleNodeDevnet { get; init; }

    /// <summary>The JSON-RPC server, or null for none.</summary>
    public RpcServerOptions? Rpc { get; init; }

    /// <summary>Timing of the alert monitor (evaluation interval, startup grace, violation hold).</summary>
    public Alerts.NodeAlertMonitorOptions Alerts { get; init; } = new();

    /// <summary>Where <c>GET /metrics</c> serves Prometheus text, or null for no metrics endpoint (<c>[metrics] listen</c>).</summary>
    public System.Net.IPEndPoint? MetricsListen { get; init; }

    /// <summary>Storage options (fsync policy; an in-memory database for simulations).</summary>
    public Storage.NodeDatabaseOptions? Database { get; init; }

    /// <summary>Seed of the connection layer's randomness (jitter, nonces).</summary>
    public int Seed { get; init; } = Environment.TickCount;
}
