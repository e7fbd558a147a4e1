using System.Text.Json;
using Tomlyn;
using Tomlyn.Model;
using TimeCoin.Node.Config;

namespace TimeCoin.Node.Tests.Config;

/// <summary>The config files shipped in deploy/ and docs/ against what the loader accepts and what init writes.</summary>
public class ShippedConfigTests
{
    public static TheoryData<string, NetworkName> ShippedFiles => new()
    {
        { "deploy/config.toml", NetworkName.Testnet },
        { "deploy/config.mainnet.toml", NetworkName.Mainnet },
        { "time-node.example.toml", NetworkName.Testnet },
    };

    private static string ReadShipped(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, name));

    private static IEnumerable<string> DottedKeys(TomlTable table, string prefix = "")
    {
        foreach (var (key, value) in table)
        {
            var dotted = prefix.Length == 0 ? key : prefix + "." + key;
            if (value is TomlTable sub)
                foreach (var inner in DottedKeys(sub, dotted))
                    yield return inner;
            else
                yield return dotted;
        }
    }

    [Fact]
    public void KnownKeys_FromTheLoader_ListsEverySectionKey()
    {
        var keys = NodeConfigLoader.KnownKeys();

        Assert.Contains("network", keys);
        Assert.Contains("p2p.whitelisted_peers", keys);
        Assert.Contains("rpc.max_request_bytes", keys);
        Assert.Contains("genesis.file", keys);
        Assert.DoesNotContain("p2p", keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void ShippedFile_HasExactlyTheKeysTheLoaderAccepts(string name, NetworkName network)
    {
        _ = network;
        var table = TomlSerializer.Deserialize<TomlTable>(ReadShipped(name))!;

        Assert.Equal(NodeConfigLoader.KnownKeys().ToList(), DottedKeys(table).Order(StringComparer.Ordinal).ToList());
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void ShippedFile_EveryKeyHasACommentAbove(string name, NetworkName network)
    {
        _ = network;
        var lines = ReadShipped(name).Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].Contains(" = ", StringComparison.Ordinal) && !lines[i].StartsWith('#'))
                Assert.True(i > 0 && lines[i - 1].StartsWith("# ", StringComparison.Ordinal), $"{name} line {i + 1} '{lines[i]}' has no comment above it");
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void ShippedFile_ParsesToItsNetworksDefaultsAndIsWhatTheWriterRenders(string name, NetworkName network)
    {
        var text = ReadShipped(name);
        var expected = NodeConfigWriter.RenderDefaults(network);
        if (text != expected)
        {
            var path = Path.Combine(Path.GetTempPath(), "expected-" + Path.GetFileName(name));
            File.WriteAllText(path, expected);
            Assert.Fail($"{name} differs from NodeConfigWriter.RenderDefaults({network}); the rendered text is in {path}");
        }
        var config = NodeConfigLoader.Parse(text, name);
        Assert.Equal(JsonSerializer.Serialize(NodeConfig.ForNetwork(network)), JsonSerializer.Serialize(config));
    }

    [Fact]
    public void Render_NonDefaultValues_LoadBackToTheSameConfig()
    {
        var config = NodeConfig.ForNetwork(NetworkName.Devnet) with
        {
            DataDir = "/var/lib/time \"node\" \\ 1",
            P2p = new P2pConfig
            {
                Listen = "127.0.0.1", Port = 30001, ExternalAddress = "203.0.113.7:30001", MaxInbound = 7, MaxOutbound = 3,
                BootstrapPeers = ["127.0.0.1:30003", "seed.example.org:24200"], PersistentPeers = ["127.0.0.1:30005"], WhitelistedPeers = ["noban@127.0.0.0/8", "10.0.0.5"],
                BlacklistedPeers = ["6.6.6.0/24"], DiscoveryUrl = "", DiscoveryIntervalSecs = 60, AutoWhitelistDiscovered = false,
                AutoWhitelistMasternodes = false, MaxAutoWhitelist = 9,
            },
            Liveness = new LivenessConfig { PingIntervalSecs = 2, PongTimeoutSecs = 6, MaxMissedPongs = 4, WhitelistedPongTimeoutSecs = 12, WhitelistedMaxMissedPongs = 5, KeepaliveIntervalSecs = 3 },
            Masternode = new MasternodeConfig { Enabled = true, KeyFile = "keys/mn.key", Tier = MasternodeTier.Gold, HeartbeatIntervalSecs = 5 },
            Sync = new SyncConfig { Enabled = false, LagWarningBlocks = 7, LagGraceSecs = 8, IntervalSecs = 9 },
            Rpc = new RpcConfig { Enabled = false, Bind = "::1", Port = 30002, CookieFile = "c", AllowIps = ["10.0.0.0/8"], MaxRequestBytes = 2048 },
            Genesis = new GenesisConfig { File = "../genesis.json" },
        };

        var loaded = NodeConfigLoader.Parse(NodeConfigWriter.Render(config, "test"), "rendered.toml");

        Assert.Equal(JsonSerializer.Serialize(config), JsonSerializer.Serialize(loaded));
    }
}
