using System.Net;
using System.Net.Sockets;
using TimeCoin.Core.Chain;
using TimeCoin.Node.Config;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hosting;

public class TimeNodeOptionsBuilderTests
{
    private static IPAddress[] FakeDns(string host) => host switch
    {
        "seed.example.org" => [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")],
        _ => throw new SocketException((int)SocketError.HostNotFound),
    };

    [Fact]
    public void Build_BootstrapHostNames_AreResolvedAndUnresolvableOnesSkippedWithAWarning()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($$"""
            data_dir = "{{dir.Path}}"
            [p2p]
            bootstrap_peers = ["1.2.3.4", "seed.example.org:24200", "nowhere.invalid"]
            """, "test.toml");
        var options = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out var warnings);
        Assert.Equal(["1.2.3.4:24100", "10.0.0.1:24200", "10.0.0.2:24200"], options.Connections.BootstrapPeers);
        Assert.Contains(warnings, w => w.Contains("nowhere.invalid"));
    }

    [Fact]
    public void Build_PersistentPeers_AreDialedAlwaysByTheConnectionManager()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($$"""
            data_dir = "{{dir.Path}}"
            [p2p]
            persistent_peers = ["10.9.8.7", "10.9.8.6:24200"]
            """, "test.toml");

        var options = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);

        Assert.Equal(["10.9.8.7", "10.9.8.6:24200"], options.Connections.PersistentPeers);
        Assert.Empty(options.Connections.WhitelistedPeers); // listing a peer as persistent does not whitelist it
    }

    [Fact]
    public void Build_SameDataDirTwice_KeepsTheNodeIdentity()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[masternode]\nenabled = true", "test.toml");
        var first = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        var second = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.Equal(first.Identity.PublicKey, second.Identity.PublicKey);
        Assert.Equal("testnet", first.Chain.NetworkName);
    }

    [Fact]
    public void Build_NotAMasternodeWithoutKeyFile_WritesNoKeyAndUsesAKeyForThisRun()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"", "test.toml");
        var first = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        var second = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.False(File.Exists(Path.Combine(dir.Path, "masternode.key")));
        Assert.NotEqual(first.Identity.PublicKey, second.Identity.PublicKey);
    }

    [Fact]
    public void Build_MasternodeWithoutKeyFile_CreatesItOnceAndKeepsTheIdentity()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[masternode]\nenabled = true", "test.toml");
        var first = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.True(File.Exists(Path.Combine(dir.Path, "masternode.key")));
        var second = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.Equal(first.Identity.PublicKey, second.Identity.PublicKey);
    }

    [Fact]
    public void Build_NotAMasternodeWithAnInitKeyFile_UsesThatKey()
    {
        using var dir = new TempDirectory();
        using var key = NodeKeyFile.CreateNew(Path.Combine(dir.Path, "masternode.key"));
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"", "test.toml");
        var options = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.Equal(key.PublicKey, options.Identity.PublicKey);
    }

    [Fact]
    public void Build_GenesisFile_DefinesAPrivateNetwork()
    {
        using var dir = new TempDirectory();
        using var member = TimeCoin.Core.Crypto.KeyPair.Generate();
        var parameters = ChainParameters.CreateDevnet([member.PublicKey], 1_800_000_000, 2);
        File.WriteAllText(Path.Combine(dir.Path, "genesis.json"), GenesisDocument.ToJson(parameters));
        var config = NodeConfigLoader.Parse($"network = \"devnet\"\ndata_dir = \"{dir.Path}\"\n[genesis]\nfile = \"genesis.json\"", "test.toml");
        var options = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.Equal(parameters.GenesisHash, options.Chain.GenesisHash);
        Assert.False(options.SingleNodeDevnet);
    }

    [Fact]
    public void Build_CorruptGenesisFile_FailsNamingTheFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "genesis.json"), "{ not json");
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[genesis]\nfile = \"genesis.json\"", "test.toml");
        var ex = Assert.Throws<InvalidDataException>(() => TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _));
        Assert.Contains("genesis.json", ex.Message);
    }

    [Fact]
    public void Build_GenesisFileIsADirectory_FailsNamingTheKeyAndPath()
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[genesis]\nfile = \"{dir.Path}\"", "test.toml");
        var ex = Assert.Throws<InvalidDataException>(() => TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _));
        Assert.Contains("genesis.file", ex.Message);
        Assert.Contains(dir.Path, ex.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Build_DataDirIsAFile_FailsNamingTheKeyAndPath(bool masternode)
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "not-a-dir");
        File.WriteAllText(file, "x");
        var config = NodeConfigLoader.Parse($"data_dir = \"{file}\"\n[masternode]\nenabled = {(masternode ? "true" : "false")}", "test.toml");
        var ex = Assert.Throws<InvalidDataException>(() => TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _));
        Assert.Contains("data_dir", ex.Message);
        Assert.Contains(file, ex.Message);
    }

    [Fact]
    public void Build_MasternodeKeyFileIsADirectory_FailsNamingTheKeyAndPathAndLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        var keyPath = Path.Combine(dir.Path, "keys");
        Directory.CreateDirectory(keyPath);
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[masternode]\nenabled = true\nkey_file = \"keys\"", "test.toml");
        var ex = Assert.Throws<InvalidDataException>(() => TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _));
        Assert.Contains("masternode.key_file", ex.Message);
        Assert.Contains(keyPath, ex.Message);
        Assert.Equal([keyPath], Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Parse_WhitelistRangeWithHostBits_IsAConfigErrorNamingKeyAndFile()
    {
        var ex = Assert.Throws<NodeConfigException>(() =>
            NodeConfigLoader.Parse("[p2p]\nwhitelisted_peers = [\"noban@10.0.0.1/8\"]", "node.toml"));
        Assert.Contains("node.toml", ex.Message);
        Assert.Contains("p2p.whitelisted_peers", ex.Message);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7:24100")]
    [InlineData("203.0.113.7:9999", "203.0.113.7:9999")]
    public void Build_ExternalAddress_IsWhatTheNodeAdvertises(string configured, string advertised)
    {
        using var dir = new TempDirectory();
        var config = NodeConfigLoader.Parse($"data_dir = \"{dir.Path}\"\n[p2p]\nexternal_address = \"{configured}\"", "test.toml");
        var options = TimeNodeOptionsBuilder.Build(config, dir.Path, FakeDns, out _);
        Assert.Equal(IPEndPoint.Parse(advertised), options.Connections.AdvertisedEndPoint);
    }

    [Fact]
    public void Parse_ExternalAddressHostName_IsAConfigError()
    {
        var ex = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Parse("[p2p]\nexternal_address = \"my.host\"", "node.toml"));
        Assert.Contains("p2p.external_address", ex.Message);
    }
}
