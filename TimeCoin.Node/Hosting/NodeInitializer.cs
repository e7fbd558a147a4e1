using TimeCoin.Node.Config;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// <c>time-node init</c>: writes a commented default config (<c>config.toml</c>) and, unless told not to, the node
/// key into a data directory. Never overwrites: when a target file exists nothing is written and the error names it.
/// </summary>
internal static class NodeInitializer
{
    /// <summary>The config file name <c>init</c> writes and <c>start --datadir</c> looks for.</summary>
    public const string ConfigFileName = "config.toml";

    /// <summary>Writes the files; returns the paths written, or throws <see cref="IOException"/> naming an existing file.</summary>
    /// <param name="network">The network the config is for.</param>
    /// <param name="dataDirectory">The data directory, or null for the network's default.</param>
    /// <param name="homeDirectory">The user's home directory (for <c>~</c>).</param>
    /// <param name="masternode">Write <c>[masternode] enabled = true</c>.</param>
    /// <param name="writeKey">Write the node key as well.</param>
    public static IReadOnlyList<string> Initialize(NetworkName network, string? dataDirectory, string homeDirectory, bool masternode, bool writeKey)
    {
        var defaults = NodeConfig.ForNetwork(network);
        var dataDir = (defaults with { DataDir = dataDirectory ?? defaults.DataDir }).ResolveDataDir(homeDirectory);
        var config = defaults with
        {
            DataDir = dataDir,
            Masternode = defaults.Masternode with { Enabled = masternode },
        };
        var configPath = Path.Combine(dataDir, ConfigFileName);
        var keyPath = config.ResolveInDataDir(config.Masternode.KeyFile, homeDirectory);
        var targets = writeKey ? new[] { configPath, keyPath } : [configPath];
        if (targets.FirstOrDefault(File.Exists) is { } existing)
            throw new IOException($"'{existing}' already exists; time-node init never overwrites a file (move it away or choose another --datadir).");

        Directory.CreateDirectory(dataDir);
        var text = NodeConfigWriter.Render(config,
            $"time-node configuration for {NetworkDefaults.ConfigName(network)}, written by `time-node init`. Start with: time-node start --datadir {dataDir}");
        using (var stream = new FileStream(configPath, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        if (writeKey)
            NodeKeyFile.CreateNew(keyPath).Dispose();
        return targets;
    }
}
