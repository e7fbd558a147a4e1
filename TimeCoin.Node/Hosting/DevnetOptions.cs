namespace TimeCoin.Node.Hosting;

/// <summary>Settings of a local devnet: several nodes in one process on loopback TCP.</summary>
public sealed record DevnetOptions
{
    /// <summary>Number of nodes (each a federation member and masternode).</summary>
    public int Nodes { get; init; } = 4;

    /// <summary>Seconds per slot.</summary>
    public int BlockTimeSeconds { get; init; } = 1;

    /// <summary>Where the devnet is kept (genesis.json, node-i with its data and masternode.key), continued when it
    /// already holds one; a fresh temporary directory, removed at the end, when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>JSON-RPC port of node 0 (0 = no RPC).</summary>
    public int RpcPort { get; init; }

    /// <summary>The last node starts this much later than the others, to show catch-up (zero = together).</summary>
    public TimeSpan LateJoinDelay { get; init; }

    /// <summary>Route every node's connections through <see cref="DevnetLinks"/> so links can be stalled and the network
    /// partitioned, and run liveness fast (2 s pings) so faults show within seconds.</summary>
    public bool Chaos { get; init; }
}
