namespace TimeCoin.Node.Config;

/// <summary>
/// The whole configuration of a <c>time-node</c>, as read from its TOML file. Every key has a default, so
/// <see cref="ForNetwork"/> describes a node started without a config file.
/// </summary>
public sealed record NodeConfig
{
    /// <summary><c>network</c>: the network joined. Default testnet (the network live today).</summary>
    public NetworkName Network { get; init; } = NetworkName.Testnet;

    /// <summary><c>data_dir</c>: where the node keeps its chain, keys and cookie; <c>~</c> is the home directory. Default <c>~/.timecoin/&lt;network&gt;</c>.</summary>
    public string DataDir { get; init; } = NetworkDefaults.DataDir(NetworkName.Testnet);

    /// <summary>The <c>[p2p]</c> section.</summary>
    public P2pConfig P2p { get; init; } = new();

    /// <summary>The <c>[liveness]</c> section.</summary>
    public LivenessConfig Liveness { get; init; } = new();

    /// <summary>The <c>[masternode]</c> section.</summary>
    public MasternodeConfig Masternode { get; init; } = new();

    /// <summary>The <c>[sync]</c> section.</summary>
    public SyncConfig Sync { get; init; } = new();

    /// <summary>The <c>[rpc]</c> section.</summary>
    public RpcConfig Rpc { get; init; } = new();

    /// <summary>The <c>[metrics]</c> section (Prometheus endpoint; off by default).</summary>
    public MetricsConfig Metrics { get; init; } = new();

    /// <summary>The <c>[genesis]</c> section.</summary>
    public GenesisConfig Genesis { get; init; } = new();

    /// <summary>The defaults of a node on <paramref name="network"/>: per-network ports, discovery URL and data directory.</summary>
    /// <param name="network">The network joined.</param>
    public static NodeConfig ForNetwork(NetworkName network) => new()
    {
        Network = network,
        DataDir = NetworkDefaults.DataDir(network),
        P2p = new P2pConfig { Port = NetworkDefaults.P2pPort(network), DiscoveryUrl = NetworkDefaults.DiscoveryUrl(network) },
        Rpc = new RpcConfig { Port = NetworkDefaults.RpcPort(network) },
    };

    /// <summary>The data directory as an absolute path, a leading <c>~</c> replaced by <paramref name="homeDirectory"/>.</summary>
    /// <param name="homeDirectory">The user's home directory.</param>
    public string ResolveDataDir(string homeDirectory)
    {
        var path = DataDir;
        if (path == "~")
        {
            path = homeDirectory;
        }
        else if (path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Path.Combine(homeDirectory, path[2..]);
        }

        return Path.GetFullPath(path);
    }

    /// <summary>A path from the config (cookie file, key file) made absolute: relative paths are inside the data directory.</summary>
    /// <param name="path">The configured path.</param>
    /// <param name="homeDirectory">The user's home directory.</param>
    public string ResolveInDataDir(string path, string homeDirectory)
    {
        if (path.StartsWith("~/", StringComparison.Ordinal))
        {
            return Path.GetFullPath(Path.Combine(homeDirectory, path[2..]));
        }

        return Path.GetFullPath(Path.Combine(ResolveDataDir(homeDirectory), path));
    }
}
