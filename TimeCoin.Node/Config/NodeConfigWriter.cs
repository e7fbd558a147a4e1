using System.Globalization;
using System.Text;

namespace TimeCoin.Node.Config;

/// <summary>
/// Writes a <see cref="NodeConfig"/> as a commented TOML file that <see cref="NodeConfigLoader"/> reads back to the
/// same values: every key, each with a comment saying what it does, its range and its default. <c>time-node init</c>,
/// <c>time-node devnet init</c> and the shipped <c>deploy/config*.toml</c> files all come from here.
/// </summary>
public static class NodeConfigWriter
{
    /// <summary>Renders <paramref name="config"/> with every key and its comment.</summary>
    /// <param name="config">The values to write.</param>
    /// <param name="title">The first comment line, saying what the file is for.</param>
    public static string Render(NodeConfig config, string title)
    {
        var network = NetworkDefaults.ConfigName(config.Network);
        var w = new Writer();
        w.Comment(title);
        w.Comment("");
        w.Comment("Every key is optional and shown here with a comment; a key left out takes its default, and a node");
        w.Comment("started without a config file behaves as its network's defaults say. Defaults marked \"per network\"");
        w.Comment("change with `network`. Unknown keys, wrong types and out-of-range values stop the node with an error");
        w.Comment("naming the file, line and key. Reference: docs/NETWORK_CONFIG.md.");
        w.Blank();
        w.Comment("Network joined: \"mainnet\", \"testnet\" or \"devnet\".");
        w.Key("network", network);
        w.Blank();
        w.Comment("Chain, keys and the RPC cookie live here. \"~\" is your home directory. Per network: ~/.timecoin/<network>.");
        w.Key("data_dir", config.DataDir);

        var p2p = config.P2p;
        w.Section("p2p");
        w.Comment("IP address the peer-to-peer listener binds to (\"0.0.0.0\" = every IPv4 interface, \"::\" = every IPv6 one).");
        w.Key("listen", p2p.Listen);
        w.Comment("Peer-to-peer port. Per network: mainnet 24000, testnet 24100, devnet 24200. 1..65535.");
        w.Key("port", p2p.Port);
        w.Comment("Public address other nodes reach this node at (\"ip\" or \"ip:port\"), announced in handshakes and in a");
        w.Comment("masternode's signed announcements (peers check it against the connection's address). \"\" = the listen");
        w.Comment("address; a masternode listening on 0.0.0.0 must set it.");
        w.Key("external_address", p2p.ExternalAddress);
        w.Comment("Most inbound connections at once. 0..10000. Default 125.");
        w.Key("max_inbound", p2p.MaxInbound);
        w.Comment("Ordinary outbound connections kept at once. Up to 8 automatic ones (masternodes, discovered peers; 10 while");
        w.Comment("peers lost earlier come back) are kept beyond it; single-address whitelisted_peers and persistent_peers are");
        w.Comment("always dialed. 0..1000. Default 16.");
        w.Key("max_outbound", p2p.MaxOutbound);
        w.Comment("Peers dialed when discovery_url is \"\" or a discovery fetch fails (not otherwise): \"ip\", \"ip:port\",");
        w.Comment("\"[ipv6]:port\", \"host\" or \"host:port\" (port defaults to `port`); host names are resolved once at start,");
        w.Comment("a name that does not resolve is skipped with a warning.");
        w.Key("bootstrap_peers", p2p.BootstrapPeers);
        w.Comment("Peers always kept connected, beyond max_outbound, redialed quickly and never given up (as Bitcoin Core's");
        w.Comment("addnode): \"ip\", \"ip:port\" or \"[ipv6]:port\" (port defaults to `port`). Listing one does not whitelist it.");
        w.Key("persistent_peers", p2p.PersistentPeers);
        w.Comment("IPs or CIDR ranges trusted by the operator, optionally with permissions: \"noban,prioritysync@10.0.0.0/8\".");
        w.Comment("Whitelisted peers get the gentler liveness settings below and are always redialed; each entry is logged");
        w.Comment("at start as \"Whitelisted peer from config: IP\".");
        w.Key("whitelisted_peers", p2p.WhitelistedPeers);
        w.Comment("IPs or CIDR ranges never connected to nor accepted.");
        w.Key("blacklisted_peers", p2p.BlacklistedPeers);
        w.Comment("URL returning the network's peer list; \"\" disables discovery. Per network: only testnet has one.");
        w.Key("discovery_url", p2p.DiscoveryUrl);
        w.Comment("Seconds between two discovery requests. 10..86400. Default 300.");
        w.Key("discovery_interval_secs", p2p.DiscoveryIntervalSecs);
        w.Comment("Whitelist the peers returned by discovery_url (logged as \"Whitelisted masternode from discovery: IP\"). Default true.");
        w.Key("auto_whitelist_discovered", p2p.AutoWhitelistDiscovered);
        w.Comment("Whitelist masternodes proved at their address: a signed announcement plus a handshake from that address");
        w.Comment("carrying the announced key. A relayed announcement alone whitelists nothing. Default true.");
        w.Key("auto_whitelist_masternodes", p2p.AutoWhitelistMasternodes);
        w.Comment("Most discovery whitelist entries kept (operator and masternode entries are not counted). 0..100000. Default 1000.");
        w.Key("max_auto_whitelist", p2p.MaxAutoWhitelist);
        w.Comment("Most masternode whitelist entries (a cap of their own). 0..100000. Default 10000.");
        w.Key("max_masternode_whitelist", p2p.MaxMasternodeWhitelist);
        w.Comment("Per-peer rate limits, \"message=per_second/burst\" (message: a type in snake case, or default; each once). Peers");
        w.Comment("whitelisted by config or rpc are exempt. The gossip defaults are sized for 10,000 masternodes.");
        w.Key("rate_limits", p2p.RateLimits.Select(kv => $"{NodeConfigLoader.SnakeCase(kv.Key)}={Number(kv.Value.TokensPerSecond)}/{Number(kv.Value.Burst)}")
            .Append($"default={Number(p2p.DefaultRateLimit.TokensPerSecond)}/{Number(p2p.DefaultRateLimit.Burst)}").ToList());
        w.Comment("Seconds in which excess above a rate limit counts as one violation (the excess is dropped). 1..86400. Default 60.");
        w.Key("rate_limit_window_secs", p2p.RateLimitViolationWindowSecs);

        var liveness = config.Liveness;
        w.Section("liveness");
        w.Comment("Seconds between two pings to a peer. 1..3600. Default 30.");
        w.Key("ping_interval_secs", liveness.PingIntervalSecs);
        w.Comment("Seconds to wait for a pong before it counts as missed. 1..86400. Default 90.");
        w.Key("pong_timeout_secs", liveness.PongTimeoutSecs);
        w.Comment("Consecutive missed pongs after which an ordinary peer is disconnected. 1..1000. Default 3.");
        w.Key("max_missed_pongs", liveness.MaxMissedPongs);
        w.Comment("Pong timeout for whitelisted peers. 1..86400. Default 300.");
        w.Key("whitelisted_pong_timeout_secs", liveness.WhitelistedPongTimeoutSecs);
        w.Comment("Consecutive missed pongs tolerated from a whitelisted peer. 1..1000. Default 10.");
        w.Key("whitelisted_max_missed_pongs", liveness.WhitelistedMaxMissedPongs);
        w.Comment("Seconds between two keep-alive pings to a whitelisted (lenient) peer. 1..3600. Default 15.");
        w.Key("keepalive_interval_secs", liveness.KeepaliveIntervalSecs);
        w.Comment("Wait before a connection's liveness driver polls again after a failed poll. Pings and pong timeouts run on their");
        w.Comment("own exact deadlines, and a whitelist change applies at once. 1..3600. Default 10.");
        w.Key("check_interval_secs", liveness.CheckIntervalSecs);

        var masternode = config.Masternode;
        w.Section("masternode");
        w.Comment("Run as a masternode: announce ourselves and send signed heartbeats. Default false.");
        w.Key("enabled", masternode.Enabled);
        w.Comment("The node's persistent Ed25519 key (one line of 64 hex characters, mode 600); a relative path is inside");
        w.Comment("data_dir. A masternode creates it at first start; `time-node init` writes it. Back it up: it is the");
        w.Comment("masternode's identity. A node that is not a masternode and has no key file uses a key for this run only.");
        w.Key("key_file", masternode.KeyFile);
        w.Comment("Collateral tier: \"free\", \"bronze\", \"silver\" or \"gold\". Default \"free\".");
        w.Key("tier", masternode.Tier.ToString().ToLowerInvariant());
        w.Comment("Seconds between two signed heartbeats. 1..3600. Default 60.");
        w.Key("heartbeat_interval_secs", masternode.HeartbeatIntervalSecs);

        var sync = config.Sync;
        w.Section("sync");
        w.Comment("Run the continuous sync coordinator. Default true.");
        w.Key("enabled", sync.Enabled);
        w.Comment("Blocks behind the best peer above which the sync_lag warning is raised (after lag_grace_secs). 1..1000000. Default 50.");
        w.Key("lag_warning_blocks", sync.LagWarningBlocks);
        w.Comment("Seconds a lag must last before it is reported. 0..86400. Default 120.");
        w.Key("lag_grace_secs", sync.LagGraceSecs);
        w.Comment("Seconds between two sync rounds when nothing else triggers one. 1..3600. Default 60.");
        w.Key("interval_secs", sync.IntervalSecs);

        var rpc = config.Rpc;
        w.Section("rpc");
        w.Comment("Run the JSON-RPC server used by time-cli. Default true.");
        w.Key("enabled", rpc.Enabled);
        w.Comment("IP address the RPC server listens on. Keep it on loopback unless you know why not. Default \"127.0.0.1\".");
        w.Key("bind", rpc.Bind);
        w.Comment("RPC port. Per network: mainnet 24001, testnet 24101, devnet 24201. 1..65535.");
        w.Key("port", rpc.Port);
        w.Comment("Authentication cookie written at start and deleted at stop; a relative path is inside data_dir.");
        w.Key("cookie_file", rpc.CookieFile);
        w.Comment("IPs or CIDR ranges allowed to connect besides loopback.");
        w.Key("allow_ips", rpc.AllowIps);
        w.Comment("Largest request body accepted, in bytes; larger requests get HTTP 413. 1024..67108864. Default 1048576.");
        w.Key("max_request_bytes", rpc.MaxRequestBytes);

        w.Section("genesis");
        w.Comment("A genesis file to use instead of the network's built-in genesis; \"\" means built-in. A relative path");
        w.Comment("is inside data_dir. `time-node devnet init` writes one for a multi-process devnet.");
        w.Key("file", config.Genesis.File);

        w.Section("metrics");
        w.Comment("ip:port where GET /metrics serves Prometheus text (docs/alerts-and-metrics.md), e.g. \"127.0.0.1:9464\".");
        w.Comment("\"\" (the default) serves no metrics. There is no authentication: bind to loopback or a monitoring network.");
        w.Key("listen", config.Metrics.Listen);
        return w.ToString();
    }

    /// <summary>
    /// The defaults of <paramref name="network"/> as shipped in <c>deploy/config.toml</c> (testnet),
    /// <c>deploy/config.mainnet.toml</c> and <c>docs/time-node.example.toml</c>; a test keeps those files equal to this.
    /// </summary>
    public static string RenderDefaults(NetworkName network) => Render(NodeConfig.ForNetwork(network),
        $"time-node configuration for {NetworkDefaults.ConfigName(network)}: every key with its default. Copy it to <data_dir>/config.toml " +
        "(time-node start --datadir reads it) or anywhere with --config; `time-node init` writes one for you.");

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A TOML basic string: quoted, with backslash, quote and control characters escaped.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                        builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        builder.Append(c);
                    break;
            }
        }
        return builder.Append('"').ToString();
    }

    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Comment(string line) => _text.Append(line.Length == 0 ? "#" : "# " + line).Append('\n');

        public void Blank() => _text.Append('\n');

        public void Section(string name) => _text.Append('\n').Append('[').Append(name).Append("]\n");

        public void Key(string key, string value) => Line(key, Quote(value));

        public void Key(string key, int value) => Line(key, value.ToString(CultureInfo.InvariantCulture));

        public void Key(string key, bool value) => Line(key, value ? "true" : "false");

        public void Key(string key, IReadOnlyList<string> values) => Line(key, "[" + string.Join(", ", values.Select(Quote)) + "]");

        private void Line(string key, string value) => _text.Append(key).Append(" = ").Append(value).Append('\n');

        public override string ToString() => _text.ToString();
    }
}
