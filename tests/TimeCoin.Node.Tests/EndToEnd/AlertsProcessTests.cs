using System.Diagnostics;
using System.Text.Json.Nodes;
using TimeCoin.Node.Tests.Metrics;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>
/// A real <c>time-node start</c> process, driven only through <c>time-cli</c> processes and HTTP: alerts appear and
/// clear, get-network-info shows a whitelisted peer that is down, /metrics is scraped and parsed.
/// </summary>
public sealed class AlertsProcessTests
{
    private static async Task<(int Exit, string Output, string Error)> TimeCli(int rpcPort, string dataDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "time-cli.dll"), "--rpc-url", $"http://127.0.0.1:{rpcPort}/", "--datadir", dataDir })
            psi.ArgumentList.Add(arg);
        foreach (var arg in args)
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static async Task<JsonNode> WaitForNetworkInfo(int rpcPort, string dataDir, Func<JsonNode, bool> condition, string what)
    {
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90);
        string last = "";
        while (DateTimeOffset.UtcNow < until)
        {
            var (exit, output, error) = await TimeCli(rpcPort, dataDir, "get-network-info");
            last = exit == 0 ? output : error;
            if (exit == 0 && condition(JsonNode.Parse(output)!))
                return JsonNode.Parse(output)!;
            await Task.Delay(500);
        }
        Assert.Fail($"get-network-info never showed {what}; last answer: {last}");
        return null!;
    }

    private static string[] Codes(JsonNode info) => info["alerts"]!.AsArray().Select(a => (string)a!["code"]!).Order().ToArray();

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TimeNodeProcess_WhitelistChangesOverTimeCli_AlertsAppearAndClearInRpcAndMetrics()
    {
        using var dir = new TempDirectory();
        // Below the kernel's ephemeral range: the process binds these seconds from now, and a port picked with bind(0)
        // could meanwhile go to any listener on port 0 or client socket of the tests running beside this one.
        int p2p = Processes.NodeProcess.FreePortBlock(3), rpc = p2p + 1, metricsPort = p2p + 2;
        var config = Path.Combine(dir.Path, "node.toml");
        await File.WriteAllTextAsync(config, $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {p2p}
            [rpc]
            port = {rpc}
            [metrics]
            listen = "127.0.0.1:{metricsPort}"
            """);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "time-node.dll"), "start", "--config", config, "--datadir", dir.Path })
            psi.ArgumentList.Add(arg);
        using var node = Process.Start(psi)!;
        var nodeOutput = node.StandardOutput.ReadToEndAsync();
        var nodeError = node.StandardError.ReadToEndAsync();
        try
        {
            // An empty whitelist is the configuration-problem signal once the 30 s startup grace is over.
            var info = await WaitForNetworkInfo(rpc, dir.Path, i => Codes(i).Contains("whitelist_empty"), "whitelist_empty");
            var alert = info["alerts"]!.AsArray().Single(a => (string?)a!["code"] == "whitelist_empty")!;
            Assert.Equal("error", (string?)alert["level"]);
            Assert.NotNull(alert["since"]);
            Assert.Equal(0, (int)info["whitelist_count"]!);
            foreach (var field in new[] { "connections", "connections_in", "connections_out", "whitelisted_peers", "sync_status", "recent_disconnects" })
                Assert.True(info.AsObject().ContainsKey(field), $"{field} missing");

            using var http = new HttpClient();
            var metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
            Assert.Equal(1, metrics.Value("timecoin_alerts_active", ("code", "whitelist_empty"), ("level", "error")));
            Assert.Equal(0, metrics.Value("timecoin_whitelist_entries"));

            // Whitelisting a peer that is down: whitelist_empty clears, no_whitelisted_peer_connected (critical) appears,
            // and the peer is listed with connected: false.
            var (exit, _, error) = await TimeCli(rpc, dir.Path, "whitelist", "add", "127.0.0.2", "--reason", "down peer");
            Assert.True(exit == 0, error);
            info = await WaitForNetworkInfo(rpc, dir.Path, i => Codes(i).SequenceEqual(["no_whitelisted_peer_connected"]), "only no_whitelisted_peer_connected");
            Assert.Equal("critical", (string?)info["alerts"]![0]!["level"]);
            var row = Assert.Single(info["whitelisted_peers"]!.AsArray())!;
            Assert.Equal("127.0.0.2", (string?)row["ip"]);
            Assert.False((bool)row["connected"]!);
            Assert.Equal("rpc", (string?)row["source"]);
            Assert.Equal("down peer", (string?)row["reason"]);
            metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
            Assert.Equal(0, metrics.Value("timecoin_alerts_active", ("code", "whitelist_empty")));
            Assert.Equal(1, metrics.Value("timecoin_alerts_active", ("code", "no_whitelisted_peer_connected"), ("level", "critical")));

            // Removing it again: the critical alert clears and whitelist_empty is back.
            (exit, _, error) = await TimeCli(rpc, dir.Path, "whitelist", "remove", "127.0.0.2");
            Assert.True(exit == 0, error);
            await WaitForNetworkInfo(rpc, dir.Path, i => Codes(i).SequenceEqual(["whitelist_empty"]), "only whitelist_empty");

            (exit, _, error) = await TimeCli(rpc, dir.Path, "stop");
            Assert.True(exit == 0, error);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await node.WaitForExitAsync(timeout.Token);
            var log = await nodeOutput + await nodeError;
            // Each change was logged once when it started and once when it cleared.
            Assert.Equal(2, CountOccurrences(log, "Alert raised: whitelist_empty"));
            Assert.Equal(1, CountOccurrences(log, "Alert cleared: whitelist_empty"));
            Assert.Equal(1, CountOccurrences(log, "Alert raised: no_whitelisted_peer_connected"));
            Assert.Equal(1, CountOccurrences(log, "Alert cleared: no_whitelisted_peer_connected"));
        }
        finally
        {
            if (!node.HasExited)
                node.Kill(entireProcessTree: true);
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
