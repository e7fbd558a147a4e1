using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Cli;
using TimeCoin.Core.Chain;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>A whole node with JSON-RPC, managed with time-cli the way an operator would.</summary>
public class NodeAndCliTests
{
    private static async Task<(int Exit, string Out, string Err)> Cli(TimeNode node, string dataDir, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] all = ["--rpc-url", node.RpcUrl!.ToString(), "--datadir", dataDir, .. args];
        int exit = await CliApplication.RunAsync(all, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static Task<TimeNode> StartSingleDevnetNode(string dataDir) => TimeNode.StartAsync(new TimeNodeOptions
    {
        Chain = ChainParameters.Devnet,
        DataDirectory = dataDir,
        Identity = ChainParameters.CreateWellKnownDevnetKey(),
        SingleNodeDevnet = true,
        Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
        Rpc = new RpcServerOptions { Port = 0, CookieFilePath = Path.Combine(dataDir, ".cookie") },
    }, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);

    [Fact]
    public async Task Cli_AgainstRunningNode_GeneratesReadsAndManagesTheWhitelist()
    {
        using var dir = new TempDirectory();
        await using (var node = await StartSingleDevnetNode(dir.Path))
        {
            var (exit, output, error) = await Cli(node, dir.Path, "generate", "5");
            Assert.True(exit == 0, error);

            (exit, output, error) = await Cli(node, dir.Path, "get-blockchain-info");
            Assert.True(exit == 0, error);
            var info = JsonNode.Parse(output)!;
            Assert.Equal("devnet", (string?)info["network"]);
            Assert.True((long)info["height"]! >= 5);

            (exit, _, error) = await Cli(node, dir.Path, "whitelist", "add", "10.20.0.0/16", "--reason", "ops team");
            Assert.True(exit == 0, error);
            Assert.True(node.Policy.IsWhitelisted(IPAddress.Parse("10.20.3.4")));

            (exit, output, _) = await Cli(node, dir.Path, "get-network-info");
            Assert.Equal(0, exit);
            Assert.NotNull(JsonNode.Parse(output)!["whitelisted_peers"]);

            (exit, _, error) = await Cli(node, dir.Path, "ban", "add", "203.0.113.9", "--reason", "spam");
            Assert.True(exit == 0, error);
            Assert.True(node.Policy.IsBanned(IPAddress.Parse("203.0.113.9")));
        }

        // The whitelist entry, the ban and the chain survive a restart.
        await using var again = await StartSingleDevnetNode(dir.Path);
        Assert.True(again.Policy.IsWhitelisted(IPAddress.Parse("10.20.3.4")));
        Assert.True(again.Policy.IsBanned(IPAddress.Parse("203.0.113.9")));
        Assert.True(again.Chain.State.Height >= 5);

        var (removeExit, _, removeError) = await Cli(again, dir.Path, "whitelist", "remove", "10.20.0.0/16");
        Assert.True(removeExit == 0, removeError);
        Assert.False(again.Policy.IsWhitelisted(IPAddress.Parse("10.20.3.4")));
    }

    [Fact]
    public async Task Cli_UnknownMethodOrBadParams_GetsJsonRpcErrorAndExitCode1()
    {
        using var dir = new TempDirectory();
        await using var node = await StartSingleDevnetNode(dir.Path);
        var (exit, _, error) = await Cli(node, dir.Path, "whitelist", "add", "not-an-address");
        Assert.Equal(1, exit);
        Assert.Contains("range", error);
    }

    [Fact]
    public async Task StartAsync_SecondNodeOnSameDataDirectory_FailsFast()
    {
        using var dir = new TempDirectory();
        await using var node = await StartSingleDevnetNode(dir.Path);
        await Assert.ThrowsAsync<TimeCoin.Node.Storage.DataDirectoryInUseException>(() => StartSingleDevnetNode(dir.Path));
    }

    [Fact]
    public async Task StartAsync_RpcPortTaken_FailsAndReleasesEverything()
    {
        using var dir = new TempDirectory();
        using var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int taken = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int p2pPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var options = new TimeNodeOptions
        {
            Chain = ChainParameters.Devnet,
            DataDirectory = dir.Path,
            Identity = ChainParameters.CreateWellKnownDevnetKey(),
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, p2pPort) },
            Rpc = new RpcServerOptions { Port = taken, CookieFilePath = Path.Combine(dir.Path, ".cookie") },
        };
        await Assert.ThrowsAnyAsync<Exception>(() => TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance));
        // The data directory and the P2P port were released: a node starts with both right away.
        await using var node = await TimeNode.StartAsync(options with { Rpc = null }, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);
        Assert.Equal(p2pPort, node.Connections.LocalEndPoint!.Port);
    }

    [Fact]
    public async Task Cli_GetNodeAddresses_ListsTheAddressBookWithSourceLastConnectionAndWhetherConnected()
    {
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        using var keyB = TimeCoin.Core.Crypto.KeyPair.Generate();
        await using var b = await TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = ChainParameters.Devnet,
            DataDirectory = dirB.Path,
            Identity = keyB,
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
        }, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);
        await using var a = await StartSingleDevnetNode(dirA.Path);
        var addressOfB = b.Connections.LocalEndPoint!;
        a.Connections.AddPeer(addressOfB, persistent: true);
        var nowhere = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 24100); // TEST-NET-2: nothing answers
        a.Connections.AddPeer(nowhere, persistent: false);
        // Connected, and the book has recorded it (the connection is registered a moment before the book hears of it).
        await Eventually.True(() => a.Connections.GetPeerInfos().Any(p => !p.IsInbound && p.NodeId == keyB.PublicKey)
                                    && a.Connections.GetKnownAddresses().Any(k => k.EndPoint.Equals(addressOfB) && k.LastConnectedAt is not null),
            TimeSpan.FromSeconds(30), () => "A connects to B");

        var (exit, output, error) = await Cli(a, dirA.Path, "get-node-addresses");

        Assert.True(exit == 0, error);
        var rows = JsonNode.Parse(output)!.AsArray();
        Assert.Equal(2, rows.Count);
        // Most recently connected first: B, connected now, then the address that never answered.
        Assert.Equal(addressOfB.ToString(), (string?)rows[0]!["address"]);
        Assert.Equal("persistent", (string?)rows[0]!["source"]);
        Assert.True((bool)rows[0]!["connected"]!);
        Assert.NotNull((string?)rows[0]!["last_connected"]);
        Assert.Equal(nowhere.ToString(), (string?)rows[1]!["address"]);
        Assert.Equal("gossip", (string?)rows[1]!["source"]);
        Assert.False((bool)rows[1]!["connected"]!);
        Assert.Null(rows[1]!["last_connected"]);

        (exit, output, error) = await Cli(a, dirA.Path, "get-node-addresses", "--limit", "1");
        Assert.True(exit == 0, error);
        Assert.Equal(addressOfB.ToString(), (string?)Assert.Single(JsonNode.Parse(output)!.AsArray())!["address"]);

        (exit, _, error) = await Cli(a, dirA.Path, "get-node-addresses", "--limit", "0");
        Assert.Equal(1, exit);
        Assert.Contains("parameter 'limit' must be from 1 to 100000, got 0", error);
    }
}
