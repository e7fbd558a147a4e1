using System.Text.Json.Nodes;
using TimeCoin.Node.Tests.EndToEnd;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Processes;

/// <summary>
/// The analysis' peer and sync alerts on real <c>time-node start</c> processes of a <c>time-node devnet init</c> devnet,
/// driven only by starting and killing processes and observed through time-cli (<c>get-network-info</c>,
/// <c>get-alerts --history</c>). A late node's catch-up of a few blocks is over within a second, usually before its
/// JSON-RPC server answers, so its <c>sync_lag</c> is read from the node's alert history (raised, then cleared).
/// </summary>
public sealed class PeerAlertsProcessTests
{
    private static int BasePort()
    {
        // Three nodes at most: peer and RPC port each.
        return NodeProcess.FreePortBlock(6);
    }

    private static JsonNode? Alert(JsonNode info, string code) =>
        info["alerts"]!.AsArray().FirstOrDefault(a => (string?)a!["code"] == code);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task WhitelistedPeerProcess_KilledThenRestarted_CriticalAlertAppearsAndClears()
    {
        using var dir = new TempDirectory();
        int basePort = BasePort();
        var (exit, output) = await NodeProcess.RunAsync("devnet", "init", "--nodes", "2", "--dir", dir.Path, "--base-port", basePort.ToString());
        Assert.True(exit == 0, output);
        string data0 = Path.Combine(dir.Path, "node-0"), data1 = Path.Combine(dir.Path, "node-1");
        int rpc0 = basePort + 1;

        // Both nodes listen on 127.0.0.1 and whitelist 127.0.0.0/8: with two nodes, node 1 is node 0's only whitelisted peer.
        var node0 = NodeProcess.Start("start", "--datadir", data0);
        NodeProcess? node1 = NodeProcess.Start("start", "--datadir", data1);
        string node1Output = "";
        string Describe() => $"node 0:\n{node0.Output}\n---\nnode 1:\n{node1Output}{node1?.Output}";
        try
        {
            await NodeProcess.CliUntil(rpc0, data0,
                i => i["whitelisted_peers"]!.AsArray().Any(p => (bool)p!["connected"]!) && Alert(i, "whitelisted_peer_disconnected") is null,
                TimeSpan.FromSeconds(40), Describe, "get-network-info");
            int mark = node0.Output.Length;

            // The whitelisted peer process dies: node 0 raises the critical alert about its address.
            node1Output = node1.Output + "--- (killed)\n";
            await node1.DisposeAsync();
            node1 = null;
            // (The closing connection may still be listed for a moment after the alert is raised.)
            var info = await NodeProcess.CliUntil(rpc0, data0,
                i => Alert(i, "whitelisted_peer_disconnected") is not null && !i["whitelisted_peers"]!.AsArray().Any(p => (bool)p!["connected"]!),
                TimeSpan.FromSeconds(20), Describe, "get-network-info");
            var alert = Alert(info, "whitelisted_peer_disconnected")!;
            Assert.Equal("critical", (string?)alert["level"]);
            Assert.Equal("127.0.0.1", (string?)alert["subject"]);
            Assert.NotNull(alert["since"]);
            Assert.Contains("disconnected", (string?)alert["message"]);

            // It comes back on its data directory and ports: the connection is back, the alert clears.
            node1 = NodeProcess.Start("start", "--datadir", data1);
            await NodeProcess.CliUntil(rpc0, data0,
                i => Alert(i, "whitelisted_peer_disconnected") is null && i["whitelisted_peers"]!.AsArray().Any(p => (bool)p!["connected"]!),
                TimeSpan.FromSeconds(30), Describe, "get-network-info");

            // Logged once when it started and once when it cleared.
            Assert.Equal(1, Occurrences(node0.Output[mark..], "Alert raised: whitelisted_peer_disconnected"));
            await Eventually.True(() => Occurrences(node0.Output[mark..], "Alert cleared: whitelisted_peer_disconnected") == 1,
                TimeSpan.FromSeconds(5), Describe);
        }
        finally
        {
            if (node1 is not null)
                await node1.DisposeAsync();
            await node0.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task LateProcess_StartsBehindItsPeers_SyncLagRaisedAndClearedOverTimeCli()
    {
        using var dir = new TempDirectory();
        int basePort = BasePort();
        var (exit, output) = await NodeProcess.RunAsync("devnet", "init", "--nodes", "3", "--dir", dir.Path, "--base-port", basePort.ToString());
        Assert.True(exit == 0, output);
        string data0 = Path.Combine(dir.Path, "node-0"), data2 = Path.Combine(dir.Path, "node-2");
        int rpc0 = basePort + 1, rpc2 = basePort + 5;
        // Node 2 reports a lag of more than one block at once (no grace), so catching up from far behind is a lag.
        var config2 = Path.Combine(data2, "config.toml");
        var text = await File.ReadAllTextAsync(config2);
        Assert.Contains("lag_warning_blocks = 50", text);
        Assert.Contains("lag_grace_secs = 120", text);
        await File.WriteAllTextAsync(config2, text.Replace("lag_warning_blocks = 50", "lag_warning_blocks = 1").Replace("lag_grace_secs = 120", "lag_grace_secs = 0"));

        var nodes = new List<NodeProcess>();
        string Describe() => string.Join("\n---\n", nodes.Select((n, i) => $"process {i}:\n{n.Output}"));
        try
        {
            nodes.Add(NodeProcess.Start("start", "--datadir", data0));
            nodes.Add(NodeProcess.Start("start", "--datadir", Path.Combine(dir.Path, "node-1")));
            const long Ahead = 8;
            await NodeProcess.CliUntil(rpc0, data0, info => (long)info["sync_status"]!["height"]! >= Ahead,
                TimeSpan.FromSeconds(60), Describe, "get-network-info");

            // Catching up these few blocks over loopback takes well under a second, so the alert is usually over before
            // anyone can look: the node's alert history (time-cli get-alerts --history) keeps its raise and its clear.
            nodes.Add(NodeProcess.Start("start", "--datadir", data2));
            static JsonNode[] LagEvents(JsonNode answer) =>
                answer["history"]!.AsArray().Where(e => (string?)e!["code"] == "sync_lag").Select(e => e!).ToArray();
            var alerts = await NodeProcess.CliUntil(rpc2, data2,
                a => LagEvents(a).Any(e => (string?)e["event"] == "cleared") && !a["active"]!.AsArray().Any(x => (string?)x!["code"] == "sync_lag"),
                TimeSpan.FromSeconds(60), Describe, "get-alerts", "--history");

            // Newest first: the first raise is the last sync_lag entry, its clear comes after it.
            var events = LagEvents(alerts);
            var raised = events.Last(e => (string?)e["event"] == "raised");
            var cleared = events.First(e => (string?)e["event"] == "cleared");
            Assert.True(Array.IndexOf(events, cleared) < Array.IndexOf(events, raised), alerts.ToJsonString());
            Assert.Equal("warning", (string?)raised["level"]);
            Assert.Null(raised["subject"]);
            Assert.Null(raised["resolution"]);
            Assert.Equal((string?)raised["at"], (string?)raised["since"]);
            Assert.True(string.CompareOrdinal((string?)cleared["at"], (string?)raised["at"]) >= 0, alerts.ToJsonString());
            Assert.Contains("caught up", (string?)cleared["resolution"]);
            // More than lag_warning_blocks = 1 behind a best height its peers proved with headers.
            var lag = System.Text.RegularExpressions.Regex.Match((string)raised["message"]!, @"(\d+) blocks behind the best peer \(height (\d+), best (\d+)\)");
            Assert.True(lag.Success, (string?)raised["message"]);
            Assert.True(long.Parse(lag.Groups[1].Value) > 1 && long.Parse(lag.Groups[3].Value) > long.Parse(lag.Groups[2].Value) + 1, (string?)raised["message"]);

            // And the node is where its peers are, with no active alert about it.
            var info = await NodeProcess.CliUntil(rpc2, data2, i => (long)i["sync_status"]!["height"]! >= Ahead,
                TimeSpan.FromSeconds(30), Describe, "get-network-info");
            Assert.DoesNotContain(info["alerts"]!.AsArray(), a => (string?)a!["code"] == "sync_lag");
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
        }
    }

    private static int Occurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
