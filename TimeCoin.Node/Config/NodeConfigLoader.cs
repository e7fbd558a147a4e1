using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace TimeCoin.Node.Config;

/// <summary>
/// Reads a <c>time-node</c> TOML config into a <see cref="NodeConfig"/>. Keys left out keep their defaults (which
/// for ports, discovery URL and data directory depend on <c>network</c>). Unknown keys, wrong types and
/// out-of-range values are all collected and reported together, each naming the file, line and key.
/// </summary>
public static class NodeConfigLoader
{
    private const string IpOrCidr = "an IP address or CIDR range (\"10.0.0.5\", \"10.0.0.0/8\")";

    /// <summary>Reads and parses the config file at <paramref name="path"/>.</summary>
    /// <param name="path">The config file.</param>
    /// <exception cref="NodeConfigException">The file cannot be read, or holds one or more errors.</exception>
    public static NodeConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigException([new ConfigError(path, null, null, "cannot read the config file: " + e.Message)]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses config text.</summary>
    /// <param name="text">The TOML text.</param>
    /// <param name="sourceName">The name used in error messages, normally the file path.</param>
    /// <exception cref="NodeConfigException">The text holds one or more errors; all are listed.</exception>
    public static NodeConfig Parse(string text, string sourceName)
    {
        var errors = TryParse(text, sourceName, out var config);
        return errors.Count == 0 ? config! : throw new NodeConfigException(errors);
    }

    /// <summary>Parses config text without throwing.</summary>
    /// <param name="text">The TOML text.</param>
    /// <param name="sourceName">The name used in error messages, normally the file path.</param>
    /// <param name="config">The configuration when there were no errors, otherwise null.</param>
    /// <returns>Every error found, in file order; empty on success.</returns>
    public static IReadOnlyList<ConfigError> TryParse(string text, string sourceName, out NodeConfig? config)
    {
        config = null;

        // The syntax parser validates the document as TOML requires (duplicate keys, redefined tables), which
        // deserializing into a TomlTable alone does not.
        var document = Tomlyn.Parsing.SyntaxParser.Parse(text, sourceName, validate: true);
        if (document.HasErrors)
        {
            return document.Diagnostics
                .Where(d => d.Kind == Tomlyn.Syntax.DiagnosticMessageKind.Error)
                .Select(d => new ConfigError(sourceName, d.Span.Start.Line + 1, null, "TOML syntax: " + d.Message))
                .ToList();
        }

        var metadata = new TomlMetadataStore();
        TomlTable root;
        try
        {
            var options = new TomlSerializerOptions
            {
                SourceName = sourceName,
                MetadataStore = metadata,
                DuplicateKeyHandling = TomlDuplicateKeyHandling.Error,
            };
            root = TomlSerializer.Deserialize<TomlTable>(text, options) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            return SyntaxErrors(e, sourceName);
        }

        var errors = new List<ConfigError>();
        var reader = new ConfigTableReader(root, "", sourceName, metadata, errors);
        var result = Read(reader);
        reader.ReportUnknownKeys();
        if (errors.Count > 0)
        {
            return errors.OrderBy(e => e.Line ?? int.MaxValue).ToList();
        }

        config = result;
        return [];
    }

    /// <summary>
    /// Every key the loader reads, dotted (<c>network</c>, <c>p2p.listen</c>), found by reading an empty config with
    /// every section present. The doc-vs-code test compares it with docs/NETWORK_CONFIG.md.
    /// </summary>
    internal static IReadOnlySet<string> KnownKeys()
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        Read(new ConfigTableReader(new TomlTable(), "", "(keys)", new TomlMetadataStore(), [], keys));
        return keys;
    }

    private static NodeConfig Read(ConfigTableReader root)
    {
        var networkText = root.String("network", NetworkDefaults.ConfigName(NetworkName.Testnet), value =>
            NetworkDefaults.TryParse(value, out _) ? null : "\"mainnet\", \"testnet\" or \"devnet\"");
        NetworkDefaults.TryParse(networkText, out var network);
        var defaults = NodeConfig.ForNetwork(network);

        return defaults with
        {
            DataDir = root.String("data_dir", defaults.DataDir, NotEmpty),
            P2p = ReadP2p(root.Section("p2p"), defaults.P2p),
            Liveness = ReadLiveness(root.Section("liveness"), defaults.Liveness),
            Masternode = ReadMasternode(root.Section("masternode"), defaults.Masternode),
            Sync = ReadSync(root.Section("sync"), defaults.Sync),
            Rpc = ReadRpc(root.Section("rpc"), defaults.Rpc),
            Metrics = ReadMetrics(root.Section("metrics"), defaults.Metrics),
            Genesis = ReadGenesis(root.Section("genesis"), defaults.Genesis),
        };
    }

    private static P2pConfig ReadP2p(ConfigTableReader? section, P2pConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new P2pConfig
        {
            Listen = section.String("listen", d.Listen, IpAddress),
            Port = section.Int("port", d.Port, 1, 65535),
            ExternalAddress = section.String("external_address", d.ExternalAddress, ExternalAddressSyntax),
            MaxInbound = section.Int("max_inbound", d.MaxInbound, 0, 10000),
            MaxOutbound = section.Int("max_outbound", d.MaxOutbound, 0, 1000),
            BootstrapPeers = section.StringList("bootstrap_peers", d.BootstrapPeers,
                "a peer address (\"1.2.3.4\", \"1.2.3.4:24100\", \"[::1]:24100\", \"seed.example.org:24100\")", PeerAddressSyntax.IsPeerEndpoint),
            PersistentPeers = section.StringList("persistent_peers", d.PersistentPeers,
                "an IP address with an optional port (\"1.2.3.4\", \"1.2.3.4:24100\", \"[::1]:24100\"); host names are not accepted here", IsIpEndpoint),
            WhitelistedPeers = section.StringList("whitelisted_peers", d.WhitelistedPeers,
                IpOrCidr + ", optionally prefixed by permissions (\"noban,prioritysync@10.0.0.0/8\")", PeerAddressSyntax.IsWhitelistEntry),
            BlacklistedPeers = section.StringList("blacklisted_peers", d.BlacklistedPeers, IpOrCidr, PeerAddressSyntax.IsIpOrCidr),
            DiscoveryUrl = section.String("discovery_url", d.DiscoveryUrl, HttpUrlOrEmpty),
            DiscoveryIntervalSecs = section.Int("discovery_interval_secs", d.DiscoveryIntervalSecs, 10, 86400),
            AutoWhitelistDiscovered = section.Bool("auto_whitelist_discovered", d.AutoWhitelistDiscovered),
            AutoWhitelistMasternodes = section.Bool("auto_whitelist_masternodes", d.AutoWhitelistMasternodes),
            MaxAutoWhitelist = section.Int("max_auto_whitelist", d.MaxAutoWhitelist, 0, 100000),
            MaxMasternodeWhitelist = section.Int("max_masternode_whitelist", d.MaxMasternodeWhitelist, 0, 100000),
        };
        var limitLines = section.StringList("rate_limits", [], RateLimitForm, line => TryParseRateLimitLine(line, out _, out _));
        if (limitLines.Count > 0)
        {
            var perKind = new Dictionary<string, Core.Policy.RateLimit>(d.RateLimits, StringComparer.Ordinal);
            var fallback = d.DefaultRateLimit;
            // One line per message type: a repeated one (the last would silently win) is refused, naming both items.
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < limitLines.Count; i++)
            {
                TryParseRateLimitLine(limitLines[i], out var repeated, out _);
                if (!seen.TryAdd(repeated ?? "default", i))
                    section.ReportError("rate_limits", $"item {i}: '{limitLines[i][..limitLines[i].IndexOf('=', StringComparison.Ordinal)].Trim()}' " +
                        $"is already set by item {seen[repeated ?? "default"]}; give each message type once");
            }
            foreach (var line in limitLines)
            {
                TryParseRateLimitLine(line, out var kind, out var limit);
                if (kind is null)
                    fallback = limit;
                else
                    perKind[kind] = limit;
            }
            result = result with { RateLimits = perKind, DefaultRateLimit = fallback };
        }
        result = result with { RateLimitViolationWindowSecs = section.Int("rate_limit_window_secs", d.RateLimitViolationWindowSecs, 1, 86400) };
        section.ReportUnknownKeys();
        return result;
    }

    private static bool IsIpEndpoint(string text) => Network.Discovery.PeerAddressParser.TryParse(text, 1, out _, out _);

    private const string RateLimitForm = "\"message=per_second/burst\" (message: a message type in snake case such as heartbeat or get_headers, or default; a positive rate and a burst of at least 1, e.g. \"heartbeat=250/2500\")";

    /// <summary>Parses <c>message=rate/burst</c>; <paramref name="kind"/> is the message type name, or null for <c>default</c>.</summary>
    private static bool TryParseRateLimitLine(string line, out string? kind, out Core.Policy.RateLimit limit)
    {
        kind = null;
        limit = default;
        int equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
            return false;
        string name = line[..equals].Trim();
        if (name != "default")
        {
            kind = Enum.GetValues<Network.Protocol.MessageType>().Select(t => t.ToString()).FirstOrDefault(t => SnakeCase(t) == name);
            if (kind is null)
                return false;
        }
        var parts = line[(equals + 1)..].Split('/');
        if (parts.Length != 2
            || !double.TryParse(parts[0].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double rate)
            || !double.TryParse(parts[1].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double burst)
            || !double.IsFinite(rate) || rate <= 0 || !double.IsFinite(burst) || burst < 1)
        {
            return false;
        }
        limit = new Core.Policy.RateLimit(rate, burst);
        return true;
    }

    /// <summary>A message type name in config form: <c>MasternodeAnnouncement</c> → <c>masternode_announcement</c>.</summary>
    internal static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static LivenessConfig ReadLiveness(ConfigTableReader? section, LivenessConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new LivenessConfig
        {
            PingIntervalSecs = section.Int("ping_interval_secs", d.PingIntervalSecs, 1, 3600),
            PongTimeoutSecs = section.Int("pong_timeout_secs", d.PongTimeoutSecs, 1, 86400),
            MaxMissedPongs = section.Int("max_missed_pongs", d.MaxMissedPongs, 1, 1000),
            WhitelistedPongTimeoutSecs = section.Int("whitelisted_pong_timeout_secs", d.WhitelistedPongTimeoutSecs, 1, 86400),
            WhitelistedMaxMissedPongs = section.Int("whitelisted_max_missed_pongs", d.WhitelistedMaxMissedPongs, 1, 1000),
            KeepaliveIntervalSecs = section.Int("keepalive_interval_secs", d.KeepaliveIntervalSecs, 1, 3600),
            CheckIntervalSecs = section.Int("check_interval_secs", d.CheckIntervalSecs, 1, 3600),
        };
        section.ReportUnknownKeys();
        return result;
    }

    private static MasternodeConfig ReadMasternode(ConfigTableReader? section, MasternodeConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var tierText = section.String("tier", d.Tier.ToString().ToLowerInvariant(), value =>
            Enum.GetNames<MasternodeTier>().Any(n => n.ToLowerInvariant() == value) ? null : "\"free\", \"bronze\", \"silver\" or \"gold\"");
        var result = new MasternodeConfig
        {
            Enabled = section.Bool("enabled", d.Enabled),
            KeyFile = section.String("key_file", d.KeyFile, NotEmpty),
            Tier = Enum.Parse<MasternodeTier>(tierText, ignoreCase: true),
            HeartbeatIntervalSecs = section.Int("heartbeat_interval_secs", d.HeartbeatIntervalSecs, 1, 3600),
        };
        section.ReportUnknownKeys();
        return result;
    }

    private static SyncConfig ReadSync(ConfigTableReader? section, SyncConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new SyncConfig
        {
            Enabled = section.Bool("enabled", d.Enabled),
            LagWarningBlocks = section.Int("lag_warning_blocks", d.LagWarningBlocks, 1, 1_000_000),
            LagGraceSecs = section.Int("lag_grace_secs", d.LagGraceSecs, 0, 86400),
            IntervalSecs = section.Int("interval_secs", d.IntervalSecs, 1, 3600),
        };
        section.ReportUnknownKeys();
        return result;
    }

    private static RpcConfig ReadRpc(ConfigTableReader? section, RpcConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new RpcConfig
        {
            Enabled = section.Bool("enabled", d.Enabled),
            Bind = section.String("bind", d.Bind, IpAddress),
            Port = section.Int("port", d.Port, 1, 65535),
            CookieFile = section.String("cookie_file", d.CookieFile, NotEmpty),
            AllowIps = section.StringList("allow_ips", d.AllowIps, IpOrCidr, PeerAddressSyntax.IsIpOrCidr),
            MaxRequestBytes = section.Int("max_request_bytes", d.MaxRequestBytes, 1024, 64 * 1024 * 1024),
        };
        section.ReportUnknownKeys();
        return result;
    }

    private static MetricsConfig ReadMetrics(ConfigTableReader? section, MetricsConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new MetricsConfig { Listen = section.String("listen", d.Listen, MetricsListen) };
        section.ReportUnknownKeys();
        return result;
    }

    private static string? MetricsListen(string value) =>
        value.Length == 0 || PeerAddressSyntax.IsEndPoint(value, portRequired: true)
            ? null
            : "ip:port (\"127.0.0.1:9464\", \"[::1]:9464\"), or \"\" for no metrics endpoint";

    private static GenesisConfig ReadGenesis(ConfigTableReader? section, GenesisConfig d)
    {
        if (section is null)
        {
            return d;
        }

        var result = new GenesisConfig { File = section.String("file", d.File) };
        section.ReportUnknownKeys();
        return result;
    }

    private static string? NotEmpty(string value) => value.Length > 0 ? null : "a non-empty string";

    private static string? ExternalAddressSyntax(string value) =>
        value.Length == 0 || PeerAddressSyntax.IsEndPoint(value, portRequired: false)
            ? null
            : "an IP address or ip:port (\"203.0.113.7\", \"203.0.113.7:24100\", \"[2001:db8::7]:24100\") or \"\"";

    private static string? IpAddress(string value) =>
        PeerAddressSyntax.IsIpAddress(value) ? null : "an IP address (\"0.0.0.0\", \"127.0.0.1\", \"::\")";

    private static string? HttpUrlOrEmpty(string value) =>
        value.Length == 0
        || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            ? null
            : "an http:// or https:// URL, or \"\" to disable discovery";

    private static List<ConfigError> SyntaxErrors(TomlException exception, string sourceName)
    {
        var errors = (exception.Diagnostics ?? [])
            .Where(d => d.Kind == Tomlyn.Syntax.DiagnosticMessageKind.Error)
            .Select(d => new ConfigError(sourceName, d.Span.Start.Line + 1, null, "TOML syntax: " + d.Message))
            .ToList();
        if (errors.Count > 0)
        {
            return errors;
        }

        return [new ConfigError(sourceName, exception.Line, null, "TOML syntax: " + exception.Message)];
    }
}
