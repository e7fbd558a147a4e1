using System.Text.Json.Nodes;
using TimeCoin.Node.Tests.EndToEnd;
using TimeCoin.Node.Tests.Metrics;
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
        int rpc0 = basePort + 1, p2p1 = basePort + 2, metricsPort = basePort + 4;
        // Node 0 serves /metrics on the next free port of the block (operators set [metrics] listen the same way).
        var config0 = Path.Combine(data0, "config.toml");
        var text = await File.ReadAllTextAsync(config0);
        // (The [p2p] listen line has an address; the only empty listen is [metrics]'.)
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "^listen = \"\"$", System.Text.RegularExpressions.RegexOptions.Multiline));
        await File.WriteAllTextAsync(config0, text.Replace("\nlisten = \"\"\n", $"\nlisten = \"127.0.0.1:{metricsPort}\"\n"));

        // Both nodes listen on 127.0.0.1 and whitelist 127.0.0.0/8: with two nodes, node 1 is node 0's only whitelisted peer.
        var node0 = NodeProcess.Start("start", "--datadir", data0);
        NodeProcess? node1 = NodeProcess.Start("start", "--datadir", data1);
        string node1Output = "";
        string Describe() => $"node 0:\n{node0.Output}\n---\nnode 1:\n{node1Output}{node1?.Output}";
        using var http = new HttpClient();
        try
        {
            // Connected, and a pong seen (the first ping goes out at the handshake).
            var up = await NodeProcess.CliUntil(rpc0, data0,
                i => i["whitelisted_peers"]!.AsArray().Any(p => (bool)p!["connected"]! && p["last_pong_secs_ago"] is not null)
                    && Alert(i, "whitelisted_peer_disconnected") is null,
                TimeSpan.FromSeconds(60), Describe, "get-network-info");
            // The analysis' fields, and true: node 1's row (its listen port, the config source), one connection, sync.
            var row = up["whitelisted_peers"]!.AsArray().Single(p => (bool)p!["connected"]!)!;
            Assert.Equal("127.0.0.1", (string?)row["ip"]);
            Assert.Equal(p2p1, (int?)row["port"]);
            Assert.Equal("config", (string?)row["source"]);
            Assert.Equal("config whitelisted_peers", (string?)row["reason"]);
            Assert.True((long)row["uptime_secs"]! >= 0);
            Assert.Equal(0, (int)row["missed_pongs"]!);
            Assert.True((double)row["ping_ms"]! >= 0);
            Assert.Equal(1, (int)up["connections"]!);
            Assert.Equal(1, (int)up["connections_in"]! + (int)up["connections_out"]!);
            Assert.True((int)up["whitelist_count"]! >= 1);
            var sync = up["sync_status"]!;
            Assert.True((long)sync["height"]! >= 0 && (long)sync["best_height"]! >= (long)sync["height"]!);
            Assert.True((int)sync["blocks_in_flight"]! >= 0);
            Assert.True(sync["syncing"]!.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False);
            Assert.True(sync.AsObject().ContainsKey("best_peer"));

            // /metrics over HTTP: every series the issue names, and the ping histogram once a pong was sampled (every 5 s).
            PrometheusText metrics = null!;
            await Eventually.True(() =>
            {
                metrics = PrometheusText.Parse(http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics").GetAwaiter().GetResult());
                return metrics.Samples.Any(x => x.Name == "timecoin_ping_rtt_seconds_count" && x.Labels.GetValueOrDefault("class") == "whitelisted" && x.Value >= 1);
            }, TimeSpan.FromSeconds(60), Describe);
            foreach (var family in NodeMetricsTests.ExpectedFamilies)
                Assert.True(metrics.HasFamily(family), $"missing {family}");
            Assert.Equal("histogram", metrics.Types["timecoin_ping_rtt_seconds"]);
            Assert.Equal(1, metrics.Value("timecoin_whitelisted_peers_connected"));
            Assert.Equal(1, metrics.Samples.Where(x => x.Name == "timecoin_peers" && x.Labels["class"] == "whitelisted").Sum(x => x.Value));
            Assert.True(metrics.Value("timecoin_chain_height") >= 1);
            Assert.True(metrics.Value("timecoin_network_bytes_total", ("direction", "in")) > 0);
            Assert.Equal(0, metrics.Value("timecoin_alerts_active", ("code", "whitelisted_peer_disconnected")));
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
            // The disconnect is an object (no goodbye: the process was killed). (Node 0 trusts 127.0.0.0/8, a range, so
            // the down peer has a row only once a single-address entry names it: AlertsProcessTests shows such a row.)
            var lost = info["recent_disconnects"]!.AsArray()[0]!;
            Assert.Equal(("127.0.0.1", true, false), ((string?)lost["ip"], (bool)lost["whitelisted"]!, (bool)lost["goodbye"]!));
            Assert.False(string.IsNullOrEmpty((string?)lost["reason"]));
            Assert.NotNull(lost["at"]);
            metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
            Assert.Equal(1, metrics.Value("timecoin_alerts_active", ("code", "whitelisted_peer_disconnected"), ("level", "critical")));
            Assert.True(metrics.Samples.Where(x => x.Name == "timecoin_peer_disconnects_total" && x.Labels["class"] == "whitelisted").Sum(x => x.Value) >= 1);

            // It comes back on its data directory and ports: the connection is back, the alert clears.
            node1 = NodeProcess.Start("start", "--datadir", data1);
            await NodeProcess.CliUntil(rpc0, data0,
                i => Alert(i, "whitelisted_peer_disconnected") is null && i["whitelisted_peers"]!.AsArray().Any(p => (bool)p!["connected"]!),
                TimeSpan.FromSeconds(30), Describe, "get-network-info");

            // Logged once when it started and once when it cleared. (The clear shows in the RPC answer before its line
            // has gone through the node's console logger and the pipe to this process: a loaded machine takes a while.)
            Assert.Equal(1, Occurrences(node0.Output[mark..], "Alert raised: whitelisted_peer_disconnected"));
            await Eventually.True(() => Occurrences(node0.Output[mark..], "Alert cleared: whitelisted_peer_disconnected") >= 1,
                TimeSpan.FromSeconds(30), Describe);
            Assert.Equal(1, Occurrences(node0.Output[mark..], "Alert cleared: whitelisted_peer_disconnected"));
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
