using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Config;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hosting;

public class NodeInitTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = NodeCommandLine.Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Init_Output_StartsANodeWithTheKeyInitWrote()
    {
        using var dir = new TempDirectory();
        var (exit, output, error) = Run("init", "--network", "testnet", "--datadir", dir.Path);
        Assert.True(exit == 0, error);
        Assert.Contains(Path.Combine(dir.Path, "config.toml"), output);

        var config = NodeConfigLoader.Load(Path.Combine(dir.Path, "config.toml"));
        Assert.Equal(NetworkName.Testnet, config.Network);
        Assert.Equal(dir.Path, config.DataDir);
        // Free local ports and no discovery, so the test binds no well-known port and reaches no outside host.
        config = config with
        {
            P2p = config.P2p with { Listen = "127.0.0.1", Port = Processes.NodeProcess.FreePort(), DiscoveryUrl = "" },
            Rpc = config.Rpc with { Port = 0 },
        };
        var options = TimeNodeOptionsBuilder.Build(config, dir.Path);
        using var key = NodeKeyFile.Load(Path.Combine(dir.Path, "masternode.key"));
        Assert.Equal(key.PublicKey, options.Identity.PublicKey);

        await using var node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);
        Assert.Equal("testnet", node.Options.Chain.NetworkName);
        Assert.NotNull(node.Connections.LocalEndPoint);
        Assert.NotNull(node.RpcUrl);
    }

    [Fact]
    public void Init_ExistingConfig_FailsNamingTheFileAndWritesNothing()
    {
        using var dir = new TempDirectory();
        var configPath = Path.Combine(dir.Path, "config.toml");
        File.WriteAllText(configPath, "# mine\n");

        var (exit, _, error) = Run("init", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.Contains(configPath, error);
        Assert.Contains("never overwrites", error);
        Assert.Equal("# mine\n", File.ReadAllText(configPath));
        Assert.False(File.Exists(Path.Combine(dir.Path, "masternode.key")));
    }

    [Fact]
    public void Init_ExistingKey_FailsNamingTheKeyAndKeepsIt()
    {
        using var dir = new TempDirectory();
        var keyPath = Path.Combine(dir.Path, "masternode.key");
        using var original = NodeKeyFile.CreateNew(keyPath);

        var (exit, _, error) = Run("init", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.Contains(keyPath, error);
        using var kept = NodeKeyFile.Load(keyPath);
        Assert.Equal(original.PublicKey, kept.PublicKey);
        Assert.False(File.Exists(Path.Combine(dir.Path, "config.toml")));
    }

    [Fact]
    public void Init_MainnetMasternodeWithoutKey_WritesMainnetDefaultsAndNoKey()
    {
        using var dir = new TempDirectory();
        var (exit, _, error) = Run("init", "--network", "mainnet", "--datadir", dir.Path, "--masternode", "--no-key");
        Assert.True(exit == 0, error);

        var config = NodeConfigLoader.Load(Path.Combine(dir.Path, "config.toml"));
        Assert.Equal(NetworkName.Mainnet, config.Network);
        Assert.Equal(24000, config.P2p.Port);
        Assert.True(config.Masternode.Enabled);
        Assert.False(File.Exists(Path.Combine(dir.Path, "masternode.key")));
    }

    [Fact]
    public void DevnetInit_ThreeNodes_WritesGenesisKeysAndConfigsWithDistinctPortsThatLoad()
    {
        using var dir = new TempDirectory();
        var root = Path.Combine(dir.Path, "dn");
        var (exit, _, error) = Run("devnet", "init", "--nodes", "3", "--dir", root, "--base-port", "31000");
        Assert.True(exit == 0, error);

        var options = Enumerable.Range(0, 3).Select(i =>
            TimeNodeOptionsBuilder.Build(NodeConfigLoader.Load(Path.Combine(root, $"node-{i}", "config.toml")), dir.Path)).ToList();
        Assert.Equal([31000, 31002, 31004], options.Select(o => o.Connections.ListenEndPoint!.Port));
        Assert.Equal([31001, 31003, 31005], options.Select(o => o.Rpc!.Port));
        Assert.Single(options.Select(o => o.Chain.GenesisHash).Distinct());
        Assert.Equal(3, options.Select(o => o.Identity.PublicKey).Distinct().Count());
        Assert.All(options, o => Assert.Contains(o.Identity.PublicKey, o.Chain.Federation));
        Assert.All(options, o => Assert.True(o.IsMasternode));
        Assert.Equal(["127.0.0.1:31002", "127.0.0.1:31004"], options[0].Connections.BootstrapPeers);

        var (again, _, againError) = Run("devnet", "init", "--nodes", "3", "--dir", root);
        Assert.Equal(1, again);
        Assert.Contains(Path.Combine(root, "genesis.json"), againError);
    }

    [Fact]
    public void Init_EmptyDatadir_ExitsOneNamingTheOption()
    {
        var (exit, output, error) = Run("init", "--datadir", "");

        Assert.Equal(1, exit);
        Assert.DoesNotContain("wrote", output);
        Assert.Equal("--datadir: expected a directory, got an empty string.", error.Trim());
    }
}
