using System.Text.Json.Nodes;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Processes;

/// <summary>Real time-node processes, started as an operator would and driven only through time-cli.</summary>
[Trait("Category", "Slow")]
public class ProcessEndToEndTests
{
    [Fact]
    public async Task Init_ThenStartAsAProcess_NodeServesTimeCliAndStopsCleanly()
    {
        using var dir = new TempDirectory();
        var (exit, output) = await NodeProcess.RunAsync("init", "--network", "testnet", "--datadir", dir.Path);
        Assert.True(exit == 0, output);

        // As an operator edits the file init wrote: free local ports, and no discovery (tests reach no outside host).
        int p2p = NodeProcess.FreePortBlock(2), rpc = p2p + 1;
        var configPath = Path.Combine(dir.Path, "config.toml");
        var text = File.ReadAllText(configPath)
            .Replace("\nport = 24100\n", $"\nport = {p2p}\n", StringComparison.Ordinal)
            .Replace("\nport = 24101\n", $"\nport = {rpc}\n", StringComparison.Ordinal)
            .Replace("listen = \"0.0.0.0\"", "listen = \"127.0.0.1\"", StringComparison.Ordinal)
            .Replace("discovery_url = \"https://time-coin.io/api/testnet/peers\"", "discovery_url = \"\"", StringComparison.Ordinal);
        Assert.Contains("discovery_url = \"\"", text);
        Assert.Contains($"\nport = {rpc}\n", text);
        File.WriteAllText(configPath, text);

        await using var node = NodeProcess.Start("start", "--datadir", dir.Path, "--log-file", Path.Combine(dir.Path, "node.log"));
        var info = await NodeProcess.CliUntil(rpc, dir.Path, _ => true, TimeSpan.FromSeconds(60), () => node.Output, "get-blockchain-info");
        Assert.Equal("testnet", (string?)info["network"]);

        var (stopExit, _, stopError) = await NodeProcess.Cli(rpc, dir.Path, "stop");
        Assert.True(stopExit == 0, stopError);
        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the node did not exit after time-cli stop\n" + node.Output);
        Assert.True(node.ExitCode == 0, node.Output);
        // The key init wrote is the node's identity, and the log file got the node's lines.
        Assert.True(File.Exists(Path.Combine(dir.Path, "masternode.key")));
        Assert.Contains("Node started on testnet", File.ReadAllText(Path.Combine(dir.Path, "node.log")));
    }

    [Fact]
    public async Task DevnetInit_ThreeProcesses_ConnectAndAgreeOnTheChain()
    {
        using var dir = new TempDirectory();
        // Six consecutive free ports are not guaranteed; a base far from the well-known ports that is free now is enough here.
        int basePort = NodeProcess.FreePortBlock(6);
        if (basePort > 65000)
            basePort = 40000;
        var (exit, output) = await NodeProcess.RunAsync("devnet", "init", "--nodes", "3", "--dir", dir.Path, "--base-port", basePort.ToString());
        Assert.True(exit == 0, output);

        var nodes = new List<NodeProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
                nodes.Add(NodeProcess.Start("start", "--datadir", Path.Combine(dir.Path, $"node-{i}")));
            string Describe() => string.Join("\n---\n", nodes.Select(n => n.Output));

            for (int i = 0; i < 3; i++)
            {
                var peers = await NodeProcess.CliUntil(basePort + 2 * i + 1, Path.Combine(dir.Path, $"node-{i}"),
                    answer => answer.AsArray().Count == 2, TimeSpan.FromSeconds(90), Describe, "get-peer-info");
                Assert.Equal(2, peers.AsArray().Count);
            }
            // One chain: the three agree on block 5. A node that heard a block late on a busy machine may have built a
            // rival block on the same parent in its own slot for a moment; the fork resolution settles it, so the
            // three are asked again until their answers agree (three answers taken at once are never compared across a
            // reorganisation that one node had done and another not yet).
            var hashes = new string[3];
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                for (int i = 0; i < 3; i++)
                {
                    var block = await NodeProcess.CliUntil(basePort + 2 * i + 1, Path.Combine(dir.Path, $"node-{i}"),
                        _ => true, TimeSpan.FromSeconds(90), Describe, "call", "get_block", "{\"height\":5}");
                    hashes[i] = (string)block["hash"]!;
                }
                if (hashes.Distinct().Count() == 1 || DateTime.UtcNow > until)
                    break;
                await Task.Delay(250);
            }
            Assert.True(hashes.Distinct().Count() == 1, $"block 5 differs between the nodes: {string.Join(", ", hashes)}\n{Describe()}");
            // Every node produced: the three federation members take turns, so the first blocks have several producers.
            var producers = new HashSet<string>();
            for (int h = 1; h <= 5; h++)
            {
                var (_, blockText, _) = await NodeProcess.Cli(basePort + 1, Path.Combine(dir.Path, "node-0"), "call", "get_block", $"{{\"height\":{h}}}");
                producers.Add(JsonNode.Parse(blockText)!["producer"]!.ToString());
            }
            Assert.True(producers.Count >= 2, $"only {producers.Count} producer(s) in blocks 1..5");
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
        }
    }
}
