using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Config;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// <c>time-node devnet init</c>: the files for a devnet of separate <c>time-node start</c> processes on one machine.
/// In <c>dir</c>: <c>genesis.json</c> (a fresh federation of every node's key, genesis time = now) and per node
/// <c>node-i/config.toml</c> (its own P2P and RPC port on 127.0.0.1, the other nodes as bootstrap peers, loopback
/// whitelisted, masternode on, discovery off) and <c>node-i/masternode.key</c>. Never overwrites a file.
/// </summary>
internal static class DevnetLayout
{
    /// <summary>Node <paramref name="index"/>'s peer-to-peer port: <c>basePort + 2 * index</c>; its RPC port is the next one.</summary>
    public static int P2pPort(int basePort, int index) => basePort + 2 * index;

    /// <summary>The devnet's genesis file in its root directory.</summary>
    public static string GenesisPath(string root) => Path.Combine(root, "genesis.json");

    /// <summary>Node <paramref name="index"/>'s directory (its data and key) in the devnet's root.</summary>
    public static string NodeDirectory(string root, int index) => Path.Combine(root, $"node-{index}");

    /// <summary>The masternode key file in a node's directory.</summary>
    public static string KeyPath(string nodeDirectory) => Path.Combine(nodeDirectory, "masternode.key");

    /// <summary>Node <paramref name="index"/>'s JSON-RPC port.</summary>
    public static int RpcPort(int basePort, int index) => P2pPort(basePort, index) + 1;

    /// <summary>The most nodes a devnet has.</summary>
    public const int MaxNodes = 64;

    /// <summary>Why <paramref name="nodes"/> is not a devnet's <c>--nodes</c> (1 to <see cref="MaxNodes"/>), or null when it is.</summary>
    public static string? NodesError(int nodes) =>
        nodes is < 1 or > MaxNodes ? $"--nodes: a devnet has 1 to {MaxNodes} nodes, got {nodes}." : null;

    /// <summary>Why <paramref name="seconds"/> is not a devnet's <c>--block-time</c> (1 to 3600), or null when it is.</summary>
    public static string? BlockTimeError(int seconds) =>
        seconds is < 1 or > 3600 ? $"--block-time: 1 to 3600 seconds, got {seconds}." : null;

    /// <summary>Writes the layout and returns each node's data directory.</summary>
    /// <exception cref="IOException">A target file exists (named in the message).</exception>
    /// <exception cref="ArgumentException">Bad node count, block time or port range.</exception>
    public static IReadOnlyList<string> Write(string directory, int nodes, int blockTimeSeconds, int basePort)
    {
        if ((NodesError(nodes) ?? BlockTimeError(blockTimeSeconds)) is { } error)
            throw new ArgumentException(error);
        if (basePort < 1024 || RpcPort(basePort, nodes - 1) > 65535)
            throw new ArgumentException($"--base-port: ports {basePort}..{RpcPort(basePort, nodes - 1)} must lie within 1024..65535.");

        var root = Path.GetFullPath(directory);
        var genesisPath = GenesisPath(root);
        var nodeDirs = Enumerable.Range(0, nodes).Select(i => NodeDirectory(root, i)).ToList();
        var targets = nodeDirs.SelectMany(d => new[] { Path.Combine(d, NodeInitializer.ConfigFileName), KeyPath(d) })
            .Prepend(genesisPath);
        if (targets.FirstOrDefault(File.Exists) is { } existing)
            throw new IOException($"'{existing}' already exists; devnet init never overwrites a file (choose another --dir).");

        var keys = Enumerable.Range(0, nodes).Select(_ => KeyPair.Generate()).ToList();
        try
        {
            var chain = ChainParameters.CreateDevnet(keys.Select(k => k.PublicKey), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), blockTimeSeconds);
            Directory.CreateDirectory(root);
            File.WriteAllText(genesisPath, GenesisDocument.ToJson(chain));
            for (int i = 0; i < nodes; i++)
            {
                NodeKeyFile.Save(KeyPath(nodeDirs[i]), keys[i]);
                var defaults = NodeConfig.ForNetwork(NetworkName.Devnet);
                var config = defaults with
                {
                    DataDir = nodeDirs[i],
                    P2p = defaults.P2p with
                    {
                        Listen = "127.0.0.1",
                        Port = P2pPort(basePort, i),
                        MaxOutbound = Math.Clamp(nodes - 1, 1, 8),
                        BootstrapPeers = Enumerable.Range(0, nodes).Where(j => j != i).Select(j => $"127.0.0.1:{P2pPort(basePort, j)}").ToList(),
                        WhitelistedPeers = ["127.0.0.0/8"],
                        DiscoveryUrl = "",
                    },
                    Masternode = defaults.Masternode with { Enabled = true },
                    Rpc = defaults.Rpc with { Port = RpcPort(basePort, i) },
                    Genesis = new GenesisConfig { File = genesisPath },
                };
                File.WriteAllText(Path.Combine(nodeDirs[i], NodeInitializer.ConfigFileName), NodeConfigWriter.Render(config,
                    $"devnet node {i} of {nodes}, written by `time-node devnet init`. Start: time-node start --datadir {nodeDirs[i]}"));
            }
            return nodeDirs;
        }
        finally
        {
            foreach (var key in keys)
                key.Dispose();
        }
    }
}
