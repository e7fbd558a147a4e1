namespace TimeCoin.Node.Config;

/// <summary>The <c>[masternode]</c> section: whether this node is a masternode and with which key.</summary>
public sealed record MasternodeConfig
{
    /// <summary><c>enabled</c>: run as a masternode (announce, send heartbeats). Default false.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>key_file</c>: the masternode's persistent Ed25519 key; a relative path is inside the data directory. Default <c>masternode.key</c>.</summary>
    public string KeyFile { get; init; } = "masternode.key";

    /// <summary><c>tier</c>: <c>free</c>, <c>bronze</c>, <c>silver</c> or <c>gold</c>. Default free.</summary>
    public MasternodeTier Tier { get; init; } = MasternodeTier.Free;

    /// <summary><c>heartbeat_interval_secs</c>: seconds between two signed heartbeats. Default 60.</summary>
    public int HeartbeatIntervalSecs { get; init; } = 60;
}
