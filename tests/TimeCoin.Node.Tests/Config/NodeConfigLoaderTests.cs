using System.Text.Json;
using TimeCoin.Node.Config;

namespace TimeCoin.Node.Tests.Config;

public sealed class NodeConfigLoaderTests
{
    private static string Json(NodeConfig config) => JsonSerializer.Serialize(config);

    private static IReadOnlyList<ConfigError> Errors(string text)
    {
        var errors = NodeConfigLoader.TryParse(text, "config.toml", out var config);
        Assert.Null(config);
        return errors;
    }

    [Fact]
    public void Parse_EmptyText_ReturnsTestnetDefaults()
    {
        var config = NodeConfigLoader.Parse("", "config.toml");

        Assert.Equal(NetworkName.Testnet, config.Network);
        Assert.Equal("~/.timecoin/testnet", config.DataDir);
        Assert.Equal("0.0.0.0", config.P2p.Listen);
        Assert.Equal(24100, config.P2p.Port);
        Assert.Equal("https://time-coin.io/api/testnet/peers", config.P2p.DiscoveryUrl);
        Assert.True(config.P2p.AutoWhitelistDiscovered);
        Assert.True(config.P2p.AutoWhitelistMasternodes);
        Assert.Equal(1000, config.P2p.MaxAutoWhitelist);
        Assert.Empty(config.P2p.WhitelistedPeers);
        Assert.Equal(30, config.Liveness.PingIntervalSecs);
        Assert.Equal(90, config.Liveness.PongTimeoutSecs);
        Assert.Equal(3, config.Liveness.MaxMissedPongs);
        Assert.Equal(300, config.Liveness.WhitelistedPongTimeoutSecs);
        Assert.Equal(10, config.Liveness.WhitelistedMaxMissedPongs);
        Assert.Equal(15, config.Liveness.KeepaliveIntervalSecs);
        Assert.Equal(60, config.Masternode.HeartbeatIntervalSecs);
        Assert.False(config.Masternode.Enabled);
        Assert.True(config.Sync.Enabled);
        Assert.Equal(50, config.Sync.LagWarningBlocks);
        Assert.Equal(60, config.Sync.IntervalSecs);
        Assert.Equal("127.0.0.1", config.Rpc.Bind);
        Assert.Equal(24101, config.Rpc.Port);
        Assert.Equal("", config.Genesis.File);
        Assert.Equal(Json(new NodeConfig()), Json(config));
    }

    [Theory]
    [InlineData("mainnet", 24000, 24001, "")]
    [InlineData("testnet", 24100, 24101, "https://time-coin.io/api/testnet/peers")]
    [InlineData("devnet", 24200, 24201, "")]
    public void Parse_OnlyNetwork_UsesThatNetworksPortsAndDiscovery(string network, int p2pPort, int rpcPort, string discoveryUrl)
    {
        var config = NodeConfigLoader.Parse($"network = \"{network}\"", "config.toml");

        Assert.Equal(p2pPort, config.P2p.Port);
        Assert.Equal(rpcPort, config.Rpc.Port);
        Assert.Equal(discoveryUrl, config.P2p.DiscoveryUrl);
        Assert.Equal($"~/.timecoin/{network}", config.DataDir);
    }

    [Fact]
    public void Load_ExampleFile_ParsesToExactlyTheDefaults()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "time-node.example.toml");

        var config = NodeConfigLoader.Load(path);

        Assert.Equal(Json(NodeConfig.ForNetwork(NetworkName.Testnet)), Json(config));
    }

    [Fact]
    public void Load_ExampleFile_MentionsEveryKeyTheLoaderKnows()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "time-node.example.toml"));
        string[] keys =
        [
            "network", "data_dir", "listen", "port", "external_address", "max_inbound", "max_outbound", "bootstrap_peers", "persistent_peers", "whitelisted_peers",
            "blacklisted_peers", "discovery_url", "discovery_interval_secs", "auto_whitelist_discovered",
            "auto_whitelist_masternodes", "max_auto_whitelist", "ping_interval_secs", "pong_timeout_secs", "max_missed_pongs",
            "whitelisted_pong_timeout_secs", "whitelisted_max_missed_pongs", "keepalive_interval_secs", "enabled", "key_file",
            "tier", "heartbeat_interval_secs", "lag_warning_blocks", "lag_grace_secs", "interval_secs", "bind", "cookie_file",
            "allow_ips", "max_request_bytes", "file",
        ];

        Assert.All(keys, key => Assert.Contains("\n" + key + " = ", text));
    }

    [Fact]
    public void Parse_FullConfig_ReadsEveryValue()
    {
        const string text = """
            network = "devnet"
            data_dir = "/var/lib/time"
            [p2p]
            listen = "::"
            port = 30000
            max_inbound = 10
            max_outbound = 4
            bootstrap_peers = ["1.2.3.4", "seed.example.org:24200", "[::1]:24200"]
            persistent_peers = ["10.9.8.7", "10.9.8.6:24200", "[fd00::7]:24200"]
            whitelisted_peers = ["noban,prioritysync@10.0.0.0/8", "192.168.1.5", "fd00::/8"]
            blacklisted_peers = ["6.6.6.0/24"]
            discovery_url = ""
            discovery_interval_secs = 60
            auto_whitelist_discovered = false
            auto_whitelist_masternodes = false
            max_auto_whitelist = 5
            [liveness]
            ping_interval_secs = 10
            pong_timeout_secs = 20
            max_missed_pongs = 2
            whitelisted_pong_timeout_secs = 600
            whitelisted_max_missed_pongs = 20
            keepalive_interval_secs = 5
            [masternode]
            enabled = true
            key_file = "/etc/time/mn.key"
            tier = "gold"
            heartbeat_interval_secs = 30
            [sync]
            enabled = false
            lag_warning_blocks = 10
            lag_grace_secs = 0
            interval_secs = 5
            [rpc]
            enabled = false
            bind = "0.0.0.0"
            port = 30001
            cookie_file = "/run/time/.cookie"
            allow_ips = ["10.1.0.0/16"]
            max_request_bytes = 4096
            [genesis]
            file = "genesis.json"
            """;

        var config = NodeConfigLoader.Parse(text, "config.toml");

        Assert.Equal(NetworkName.Devnet, config.Network);
        Assert.Equal("/var/lib/time", config.DataDir);
        Assert.Equal("::", config.P2p.Listen);
        Assert.Equal(30000, config.P2p.Port);
        Assert.Equal(10, config.P2p.MaxInbound);
        Assert.Equal(4, config.P2p.MaxOutbound);
        Assert.Equal(["1.2.3.4", "seed.example.org:24200", "[::1]:24200"], config.P2p.BootstrapPeers);
        Assert.Equal(["10.9.8.7", "10.9.8.6:24200", "[fd00::7]:24200"], config.P2p.PersistentPeers);
        Assert.Equal(["noban,prioritysync@10.0.0.0/8", "192.168.1.5", "fd00::/8"], config.P2p.WhitelistedPeers);
        Assert.Equal(["6.6.6.0/24"], config.P2p.BlacklistedPeers);
        Assert.Equal("", config.P2p.DiscoveryUrl);
        Assert.Equal(60, config.P2p.DiscoveryIntervalSecs);
        Assert.False(config.P2p.AutoWhitelistDiscovered);
        Assert.False(config.P2p.AutoWhitelistMasternodes);
        Assert.Equal(5, config.P2p.MaxAutoWhitelist);
        Assert.Equal(new LivenessConfig
        {
            PingIntervalSecs = 10, PongTimeoutSecs = 20, MaxMissedPongs = 2, WhitelistedPongTimeoutSecs = 600,
            WhitelistedMaxMissedPongs = 20, KeepaliveIntervalSecs = 5,
        }, config.Liveness);
        Assert.Equal(new MasternodeConfig { Enabled = true, KeyFile = "/etc/time/mn.key", Tier = MasternodeTier.Gold, HeartbeatIntervalSecs = 30 }, config.Masternode);
        Assert.Equal(new SyncConfig { Enabled = false, LagWarningBlocks = 10, LagGraceSecs = 0, IntervalSecs = 5 }, config.Sync);
        Assert.False(config.Rpc.Enabled);
        Assert.Equal("0.0.0.0", config.Rpc.Bind);
        Assert.Equal(30001, config.Rpc.Port);
        Assert.Equal("/run/time/.cookie", config.Rpc.CookieFile);
        Assert.Equal(["10.1.0.0/16"], config.Rpc.AllowIps);
        Assert.Equal(4096, config.Rpc.MaxRequestBytes);
        Assert.Equal("genesis.json", config.Genesis.File);
    }

    [Fact]
    public void Parse_RateLimits_ReadsPerKindDefaultAndWindow()
    {
        var config = NodeConfigLoader.Parse("[p2p]\nmax_masternode_whitelist = 500\nrate_limits = [\"heartbeat=300/3000\", \"get_headers=5/10\", \"default=40/200\"]\nrate_limit_window_secs = 30\n", "config.toml");

        Assert.Equal(new Core.Policy.RateLimit(300, 3000), config.P2p.RateLimits["Heartbeat"]);
        Assert.Equal(new Core.Policy.RateLimit(5, 10), config.P2p.RateLimits["GetHeaders"]);
        Assert.Equal(new Core.Policy.RateLimit(50, 1000), config.P2p.RateLimits["MasternodeAnnouncement"]); // default kept
        Assert.Equal(new Core.Policy.RateLimit(40, 200), config.P2p.DefaultRateLimit);
        Assert.Equal(30, config.P2p.RateLimitViolationWindowSecs);
        Assert.Equal(500, config.P2p.MaxMasternodeWhitelist);
    }

    [Fact]
    public void Parse_BadRateLimit_NamesFileLineKeyAndForm()
    {
        var error = Assert.Single(Errors("[p2p]\nrate_limits = [\"heartbeat=fast\"]\n"));

        Assert.Contains("config.toml:2: p2p.rate_limits", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("message=per_second/burst", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("24100.0", "24100.0")]
    [InlineData("2.41e4", "24100.0")]
    [InlineData("24100.5", "24100.5")]
    public void Parse_FloatForIntegerKey_ShowsTheFloat(string written, string shown)
    {
        var error = Assert.Single(Errors($"[p2p]\nport = {written}\n"));

        Assert.Equal($"config.toml:2: p2p.port: expected an integer from 1 to 65535, got {shown} (a float)", error.ToString());
    }

    [Theory]
    [InlineData("heartbeat=10/20", "heartbeat=5/5", "heartbeat")]
    [InlineData("default=10/20", "default=5/5", "default")]
    public void Parse_RepeatedRateLimitKind_IsRefusedNamingTheKey(string first, string second, string kind)
    {
        var error = Assert.Single(Errors($"[p2p]\nrate_limits = [\"get_headers=1/1\", \"{first}\", \"{second}\"]\n"));

        Assert.Equal($"config.toml:2: p2p.rate_limits: item 2: '{kind}' is already set by item 1; give each message type once", error.ToString());
    }

    [Fact]
    public void Parse_WrongType_NamesFileLineKeyAndValue()
    {
        var errors = Errors("network = \"testnet\"\n\n[p2p]\nmax_inbound = \"lots\"\n");

        var error = Assert.Single(errors);
        Assert.Equal("config.toml:4: p2p.max_inbound: expected an integer from 0 to 10000, got \"lots\"", error.ToString());
    }

    [Fact]
    public void Parse_OutOfRange_NamesKeyAndRange()
    {
        var error = Assert.Single(Errors("[liveness]\nmax_missed_pongs = 0\n"));

        Assert.Equal("config.toml:2: liveness.max_missed_pongs: expected an integer from 1 to 1000, got 0", error.ToString());
    }

    [Fact]
    public void Parse_UnknownKey_NamesKeyAndSuggestsTheCloseOne()
    {
        var error = Assert.Single(Errors("[p2p]\nmax_inbond = 5\n"));

        Assert.Equal("config.toml:2: p2p.max_inbond: unknown key (did you mean p2p.max_inbound?)", error.ToString());
    }

    [Fact]
    public void Parse_UnknownSection_IsReported()
    {
        var error = Assert.Single(Errors("[telemetry]\nport = 9100\n"));

        Assert.Equal("telemetry", error.Key);
        Assert.Equal(1, error.Line);
        Assert.Contains("unknown key", error.Message);
    }

    [Fact]
    public void Parse_SectionGivenAsValue_IsReported()
    {
        var error = Assert.Single(Errors("p2p = 5\n"));

        Assert.Equal("config.toml:1: p2p: expected a table ([p2p]), got 5", error.ToString());
    }

    [Fact]
    public void Parse_UnknownNetwork_ListsTheChoices()
    {
        var error = Assert.Single(Errors("network = \"regtest\"\n"));

        Assert.Equal("config.toml:1: network: expected \"mainnet\", \"testnet\" or \"devnet\", got \"regtest\"", error.ToString());
    }

    [Theory]
    [InlineData("whitelisted_peers", "10.0.0.0/33")]
    [InlineData("whitelisted_peers", "nobann@10.0.0.1")]
    [InlineData("whitelisted_peers", "@10.0.0.1")]
    [InlineData("whitelisted_peers", "10.0.0")]
    [InlineData("blacklisted_peers", "example.org")]
    [InlineData("bootstrap_peers", "1.2.3.4:70000")]
    [InlineData("bootstrap_peers", "bad host:1")]
    [InlineData("persistent_peers", "seed.example.org:24200")]
    [InlineData("persistent_peers", "1.2.3.4:0")]
    [InlineData("persistent_peers", "10.0.0.0/8")]
    public void Parse_BadAddressInList_NamesKeyItemAndValue(string key, string entry)
    {
        var error = Assert.Single(Errors($"[p2p]\n{key} = [\"1.2.3.4\", \"{entry}\"]\n"));

        Assert.Equal("p2p." + key, error.Key);
        Assert.Equal(2, error.Line);
        Assert.StartsWith("item 1: expected ", error.Message);
        Assert.EndsWith($"got \"{entry}\"", error.Message);
    }

    [Fact]
    public void Parse_MetricsListen_OffByDefaultAndReadWhenSet()
    {
        Assert.Equal("", NodeConfigLoader.Parse("", "config.toml").Metrics.Listen);
        Assert.Equal("127.0.0.1:9464", NodeConfigLoader.Parse("[metrics]\nlisten = \"127.0.0.1:9464\"\n", "config.toml").Metrics.Listen);
        Assert.Equal("[::1]:9464", NodeConfigLoader.Parse("[metrics]\nlisten = \"[::1]:9464\"\n", "config.toml").Metrics.Listen);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:9464")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("1:9464")]
    [InlineData("1.2.3:9464")]
    [InlineData("[::1]")]
    public void Parse_BadMetricsListen_NamesKeyAndFile(string value)
    {
        var error = Assert.Single(Errors($"[metrics]\nlisten = \"{value}\"\n"));

        Assert.Equal($"config.toml:2: metrics.listen: expected ip:port (\"127.0.0.1:9464\", \"[::1]:9464\"), or \"\" for no metrics endpoint, got \"{value}\"", error.ToString());
    }

    [Theory]
    [InlineData("24100")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3:24100")]
    [InlineData("010.0.0.1")]
    [InlineData("203.0.113.7:0")]
    [InlineData("[2001:db8::7]:70000")]
    public void Parse_BadExternalAddress_NamesKeyAndFile(string value)
    {
        // IPEndPoint.TryParse reads "24100" as 0.0.94.36: a masternode announced that address.
        var error = Assert.Single(Errors($"[p2p]\nexternal_address = \"{value}\"\n"));

        Assert.Equal($"config.toml:2: p2p.external_address: expected an IP address or ip:port (\"203.0.113.7\", \"203.0.113.7:24100\", \"[2001:db8::7]:24100\") or \"\", got \"{value}\"", error.ToString());
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("203.0.113.7:24100")]
    [InlineData("2001:db8::7")]
    [InlineData("[2001:db8::7]")]
    [InlineData("[2001:db8::7]:24100")]
    [InlineData("")]
    public void Parse_ExternalAddress_AcceptsTheDocumentedForms(string value) =>
        Assert.Equal(value, NodeConfigLoader.Parse($"[p2p]\nexternal_address = \"{value}\"\n", "config.toml").P2p.ExternalAddress);

    [Fact]
    public void Parse_ListWithNonString_IsReported()
    {
        var error = Assert.Single(Errors("[rpc]\nallow_ips = [\"10.0.0.1\", 3]\n"));

        Assert.Equal("config.toml:2: rpc.allow_ips: item 1: expected an IP address or CIDR range (\"10.0.0.5\", \"10.0.0.0/8\"), got 3", error.ToString());
    }

    [Fact]
    public void Parse_BadUrlAndBadBind_AreReported()
    {
        var errors = Errors("[p2p]\ndiscovery_url = \"ftp://x\"\n[rpc]\nbind = \"localhost\"\n");

        Assert.Equal(["p2p.discovery_url", "rpc.bind"], errors.Select(e => e.Key));
    }

    [Fact]
    public void Parse_SeveralErrors_ReportsAllInFileOrder()
    {
        const string text = """
            network = "devnet"
            colour = "blue"
            [p2p]
            port = 0
            auto_whitelist_discovered = "yes"
            [masternode]
            tier = "platinum"
            [sync]
            interval_secs = -1
            """;

        var errors = Errors(text);

        Assert.Equal(["colour", "p2p.port", "p2p.auto_whitelist_discovered", "masternode.tier", "sync.interval_secs"], errors.Select(e => e.Key));
        Assert.Equal([2, 4, 5, 7, 9], errors.Select(e => e.Line));
        var exception = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Parse(text, "config.toml"));
        Assert.Equal(5, exception.Errors.Count);
        Assert.Contains("config.toml:9: sync.interval_secs", exception.Message);
    }

    [Fact]
    public void Parse_TomlSyntaxError_NamesFileAndLine()
    {
        var error = Assert.Single(Errors("network = \"testnet\"\n[p2p]\nport = \n"));

        Assert.Null(error.Key);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("config.toml:3: TOML syntax: ", error.ToString());
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnError()
    {
        var error = Assert.Single(Errors("[p2p]\nport = 1\nport = 2\n"));

        Assert.StartsWith("TOML syntax: ", error.Message);
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "time-node-missing-" + Guid.NewGuid() + ".toml");

        var exception = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Load(path));

        Assert.Equal(path, Assert.Single(exception.Errors).SourceName);
    }

    [Fact]
    public void Load_FileWithError_UsesThePathAsSourceName()
    {
        var path = Path.Combine(Path.GetTempPath(), "time-node-" + Guid.NewGuid() + ".toml");
        File.WriteAllText(path, "[rpc]\nport = 99999\n");
        try
        {
            var exception = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Load(path));

            Assert.Equal($"{path}:2: rpc.port: expected an integer from 1 to 65535, got 99999", exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResolveDataDir_TildeAndRelativePaths_AreExpanded()
    {
        var config = new NodeConfig { DataDir = "~/.timecoin/devnet" };

        Assert.Equal(Path.GetFullPath("/home/op/.timecoin/devnet"), config.ResolveDataDir("/home/op"));
        Assert.Equal(Path.GetFullPath("/home/op/.timecoin/devnet/.cookie"), config.ResolveInDataDir(".cookie", "/home/op"));
        Assert.Equal(Path.GetFullPath("/run/x.cookie"), config.ResolveInDataDir("/run/x.cookie", "/home/op"));
    }
}
