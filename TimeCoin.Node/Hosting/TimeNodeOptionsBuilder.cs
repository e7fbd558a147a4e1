using System.Net;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Liveness;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Config;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>Turns a validated <see cref="NodeConfig"/> into <see cref="TimeNodeOptions"/>: reads the genesis
/// file and the key file, resolves paths, maps every section onto the component options.</summary>
public static class TimeNodeOptionsBuilder
{
    /// <summary>Builds the options; file problems (genesis, key, data directory) throw with the config key and the
    /// path named.</summary>
    /// <exception cref="InvalidDataException">The genesis file or key file is unusable, or data_dir is a file.</exception>
    public static TimeNodeOptions Build(NodeConfig config, string homeDirectory) => Build(config, homeDirectory, Dns.GetHostAddresses, out _);

    /// <summary>Builds the options, resolving host names in <c>bootstrap_peers</c> with <paramref name="resolve"/>;
    /// a name that does not resolve is skipped and described in <paramref name="warnings"/> (never fatal: other peers,
    /// discovery and known peers still work).</summary>
    /// <exception cref="InvalidDataException">The genesis file or key file is unusable, or data_dir is a file; the
    /// message names the config key (<c>genesis.file</c>, <c>masternode.key_file</c>, <c>data_dir</c>) and the path.</exception>
    public static TimeNodeOptions Build(NodeConfig config, string homeDirectory, Func<string, IPAddress[]> resolve, out IReadOnlyList<string> warnings)
    {
        var chain = LoadChain(config, homeDirectory);
        var dataDir = config.ResolveDataDir(homeDirectory);
        if (File.Exists(dataDir))
            throw new InvalidDataException($"data_dir '{dataDir}' is a file, not a directory.");
        bool builtInDevnet = config.Network == NetworkName.Devnet && string.IsNullOrWhiteSpace(config.Genesis.File);
        // The built-in devnet's federation is one well-known key, so a single local devnet node can produce.
        KeyPair identity = builtInDevnet
            ? ChainParameters.CreateWellKnownDevnetKey()
            : LoadIdentity(config, homeDirectory);

        var p2p = config.P2p;
        var liveness = config.Liveness;
        var connections = new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Parse(p2p.Listen), p2p.Port),
            AdvertisedEndPoint = ExternalEndPoint(p2p),
            DefaultPort = p2p.Port,
            TargetOutbound = p2p.MaxOutbound,
            WhitelistedPeers = p2p.WhitelistedPeers,
            BlacklistedPeers = p2p.BlacklistedPeers,
            BootstrapPeers = ResolveBootstrap(p2p.BootstrapPeers, p2p.Port, resolve, out warnings),
            PersistentPeers = p2p.PersistentPeers,
            DiscoveryUrl = string.IsNullOrWhiteSpace(p2p.DiscoveryUrl) ? null : new Uri(p2p.DiscoveryUrl),
            DiscoveryInterval = TimeSpan.FromSeconds(p2p.DiscoveryIntervalSecs),
            AutoWhitelistDiscovered = p2p.AutoWhitelistDiscovered,
            AutoWhitelistMasternodes = p2p.AutoWhitelistMasternodes,
            Ping = new PingOptions
            {
                PingInterval = TimeSpan.FromSeconds(liveness.PingIntervalSecs),
                PongTimeout = TimeSpan.FromSeconds(liveness.PongTimeoutSecs),
                MaxMissedPongs = liveness.MaxMissedPongs,
                LenientPongTimeout = TimeSpan.FromSeconds(liveness.WhitelistedPongTimeoutSecs),
                LenientMaxMissedPongs = liveness.WhitelistedMaxMissedPongs,
                KeepAliveInterval = TimeSpan.FromSeconds(liveness.KeepaliveIntervalSecs),
                CheckInterval = TimeSpan.FromSeconds(liveness.CheckIntervalSecs),
            },
        };
        return new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dataDir,
            Identity = identity,
            Connections = connections,
            Sync = SyncCoordinatorOptions.FromConfig(config.Sync),
            Policy = new PeerPolicyOptions
            {
                MaxInbound = p2p.MaxInbound,
                ReservedInboundSlots = Math.Min(32, p2p.MaxInbound / 4),
                MaxAutomaticWhitelistEntries = p2p.MaxAutoWhitelist,
                MaxMasternodeWhitelistEntries = p2p.MaxMasternodeWhitelist,
                RateLimits = p2p.RateLimits,
                DefaultRateLimit = p2p.DefaultRateLimit,
                RateLimitScoreWindow = TimeSpan.FromSeconds(p2p.RateLimitViolationWindowSecs),
            },
            Heartbeats = new HeartbeatOptions { HeartbeatInterval = TimeSpan.FromSeconds(config.Masternode.HeartbeatIntervalSecs) },
            IsMasternode = config.Masternode.Enabled,
            Tier = Enum.Parse<Core.Masternodes.MasternodeTier>(config.Masternode.Tier.ToString()),
            SingleNodeDevnet = builtInDevnet && p2p.BootstrapPeers.Count == 0,
            Rpc = config.Rpc.Enabled ? RpcServerOptions.FromConfig(config, homeDirectory) : null,
            MetricsListen = config.Metrics.Listen.Length > 0 ? System.Net.IPEndPoint.Parse(config.Metrics.Listen) : null,
        };
    }

    /// <summary>
    /// The node's key: a masternode loads its key file or creates it at first start (its identity must survive
    /// restarts); any other node loads the key file when one exists (written by <c>time-node init</c>) and otherwise
    /// runs with a key made for this run only, writing nothing.
    /// </summary>
    private static KeyPair LoadIdentity(NodeConfig config, string homeDirectory)
    {
        var path = config.ResolveInDataDir(config.Masternode.KeyFile, homeDirectory);
        if (!config.Masternode.Enabled && !File.Exists(path))
            return KeyPair.Generate();
        if (Directory.Exists(path))
            throw new InvalidDataException($"masternode.key_file '{path}' is a directory, not a file.");
        try
        {
            return config.Masternode.Enabled ? NodeKeyFile.LoadOrCreate(path) : NodeKeyFile.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"masternode.key_file '{path}' cannot be {(File.Exists(path) ? "read" : "created")}: {ex.Message}", ex);
        }
    }

    private static IPEndPoint? ExternalEndPoint(P2pConfig p2p)
    {
        if (p2p.ExternalAddress.Length == 0)
            return null;
        var endpoint = IPEndPoint.Parse(p2p.ExternalAddress);
        return endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, p2p.Port) : endpoint;
    }

    private static List<string> ResolveBootstrap(IReadOnlyList<string> entries, int defaultPort, Func<string, IPAddress[]> resolve,
        out IReadOnlyList<string> warnings)
    {
        var resolved = new List<string>();
        var problems = new List<string>();
        foreach (var entry in entries)
        {
            if (Network.Discovery.PeerAddressParser.TryParse(entry, defaultPort, out var endpoint, out _))
            {
                resolved.Add(endpoint.ToString());
                continue;
            }
            var colon = entry.LastIndexOf(':');
            var host = colon > 0 ? entry[..colon] : entry;
            int port = colon > 0 && int.TryParse(entry[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : defaultPort;
            try
            {
                var addresses = resolve(host);
                if (addresses.Length == 0)
                    problems.Add($"bootstrap_peers: '{entry}' resolved to no address; skipped");
                foreach (var address in addresses.Take(8))
                    resolved.Add(new IPEndPoint(address, port).ToString());
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ArgumentException)
            {
                problems.Add($"bootstrap_peers: '{entry}' does not resolve ({ex.Message}); skipped");
            }
        }
        warnings = problems;
        return resolved;
    }

    private static ChainParameters LoadChain(NodeConfig config, string homeDirectory)
    {
        if (string.IsNullOrWhiteSpace(config.Genesis.File))
            return ChainParameters.ForNetwork(config.Network.ToString().ToLowerInvariant());
        var path = config.ResolveInDataDir(config.Genesis.File, homeDirectory);
        if (Directory.Exists(path))
            throw new InvalidDataException($"genesis.file '{path}' is a directory, not a file.");
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"genesis.file '{path}' cannot be read: {ex.Message}", ex);
        }
        if (!GenesisDocument.TryParse(json, out var parameters, out var error))
            throw new InvalidDataException($"genesis.file '{path}': {error}");
        return parameters;
    }
}
