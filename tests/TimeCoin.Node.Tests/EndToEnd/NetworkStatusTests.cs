using System.Text.Json.Nodes;
using TimeCoin.Cli;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Metrics;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>
/// get_network_info and /metrics of a node whose whitelisted peers come and go, read the way an operator reads them:
/// time-cli over JSON-RPC and an HTTP scrape. The peers are whole nodes on the in-memory network.
/// </summary>
public sealed class NetworkStatusTests
{
    private static async Task<JsonNode> NetworkInfo(TimeNode node, string dataDir)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CliApplication.RunAsync(["--rpc-url", node.RpcUrl!.ToString(), "--datadir", dataDir, "get-network-info"], output, error);
        Assert.True(exit == 0, error.ToString());
        return JsonNode.Parse(output.ToString())!;
    }

    private static JsonNode Row(JsonNode info, string ip) =>
        info["whitelisted_peers"]!.AsArray().Single(p => (string?)p!["ip"] == ip)!;

    private static string[] AlertCodesOf(JsonNode info) =>
        info["alerts"]!.AsArray().Select(a => (string)a!["code"]!).ToArray();

    [Fact]
    [Trait("Category", "Slow")]
    public async Task GetNetworkInfo_WhitelistedPeerGoesDownAndComesBack_FieldsAndAlertsFollow()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 2);
        // a whitelists b (10.0.0.2) and a peer that never runs (10.0.0.9).
        var (a, aDir) = await cluster.StartAsync(0, ["10.0.0.2", "noban@10.0.0.9"], rpc: true, metrics: true);
        var (b, bDir) = await cluster.StartAsync(1, []); // b dials nobody, so a's one connection is outbound
        await Eventually.True(() => a.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "a never connected to b");
        await Eventually.True(() => a.Connections.Peers[0].PingStatistics.LastPongAt is not null, TimeSpan.FromSeconds(60), () => "no pong yet");
        // Before b was connected, no_whitelisted_peer_connected was true (these nodes have no startup grace); the next
        // evaluation (every 100 ms here) clears it.
        await Eventually.True(() => a.Observability.Alerts.GetActive().Count == 0, TimeSpan.FromSeconds(10),
            () => string.Join(", ", a.Observability.Alerts.GetActive().Select(x => x.Code)));

        var info = await NetworkInfo(a, aDir);
        Assert.Equal(1, (int)info["connections"]!);
        Assert.Equal(0, (int)info["connections_in"]!);
        Assert.Equal(1, (int)info["connections_out"]!);
        Assert.Equal(2, (int)info["whitelist_count"]!);
        var up = Row(info, "10.0.0.2");
        Assert.True((bool)up["connected"]!);
        Assert.Equal(InMemoryNodeCluster.Port, (int)up["port"]!);
        Assert.Equal("config", (string?)up["source"]);
        Assert.Equal(["config"], up["sources"]!.AsArray().Select(s => (string)s!));
        Assert.Equal("config whitelisted_peers", (string?)up["reason"]);
        Assert.Equal(b.Options.Identity.PublicKey.ToString(), (string?)up["peer_id"]);
        Assert.True((long)up["uptime_secs"]! >= 0);
        Assert.Equal(0, (int)up["missed_pongs"]!);
        Assert.NotNull(up["last_pong_secs_ago"]);
        Assert.NotNull(up["ping_ms"]);
        var down = Row(info, "10.0.0.9");
        Assert.False((bool)down["connected"]!);
        Assert.Equal(InMemoryNodeCluster.Port, (int)down["port"]!);
        Assert.Equal("noban", (string?)down["permissions"]);
        Assert.Null(down["peer_id"]);
        Assert.Null(down["ping_ms"]);
        var sync = info["sync_status"]!;
        foreach (var field in new[] { "height", "best_peer", "best_height", "syncing", "blocks_in_flight" })
            Assert.True(sync.AsObject().ContainsKey(field), $"sync_status.{field} missing");
        Assert.Empty(AlertCodesOf(info));

        // b is lost (a crash: no goodbye): a whitelisted peer disconnected, and no whitelisted peer is left.
        await cluster.CrashAsync(b);
        await Eventually.True(() => a.Observability.Alerts.IsActive(AlertCodes.NoWhitelistedPeerConnected), TimeSpan.FromSeconds(30), () => "no alert");
        info = await NetworkInfo(a, aDir);
        Assert.Equal(["no_whitelisted_peer_connected", "whitelisted_peer_disconnected"], AlertCodesOf(info).Order());
        var lost = info["alerts"]!.AsArray().Single(x => (string?)x!["code"] == "whitelisted_peer_disconnected")!;
        Assert.Equal("critical", (string?)lost["level"]);
        Assert.Equal("10.0.0.2", (string?)lost["subject"]);
        Assert.NotNull(lost["since"]);
        Assert.False((bool)Row(info, "10.0.0.2")["connected"]!);
        var disconnect = info["recent_disconnects"]!.AsArray()[0]!;
        Assert.Equal("10.0.0.2", (string?)disconnect["ip"]);
        Assert.Equal(b.Options.Identity.PublicKey.ToString(), (string?)disconnect["peer"]);
        Assert.True((bool)disconnect["whitelisted"]!);
        Assert.False((bool)disconnect["goodbye"]!);
        Assert.False(string.IsNullOrEmpty((string?)disconnect["reason"]));
        Assert.NotNull(disconnect["at"]);

        using var http = new HttpClient();
        var metricsUrl = $"http://127.0.0.1:{a.Observability.Exporter.LocalEndPoint!.Port}/metrics";
        var scraped = PrometheusText.Parse(await http.GetStringAsync(metricsUrl));
        Assert.Equal(1, scraped.Value("timecoin_alerts_active", ("code", "whitelisted_peer_disconnected"), ("level", "critical")));
        Assert.Equal(1, scraped.Value("timecoin_alerts_active", ("code", "no_whitelisted_peer_connected")));
        Assert.Equal(0, scraped.Value("timecoin_whitelisted_peers_connected"));
        Assert.True(scraped.Samples.Where(s => s.Name == "timecoin_peer_disconnects_total" && s.Labels["class"] == "whitelisted").Sum(s => s.Value) >= 1);

        // b comes back on the same address: a redials its whitelisted peer and both alerts clear.
        var (back, _) = await cluster.StartAsync(1, [], dataDir: bDir);
        await Eventually.True(() => a.Observability.Alerts.GetActive().Count == 0, TimeSpan.FromSeconds(60),
            () => string.Join(", ", a.Observability.Alerts.GetActive().Select(x => x.Code)));
        info = await NetworkInfo(a, aDir);
        Assert.Empty(AlertCodesOf(info));
        Assert.True((bool)Row(info, "10.0.0.2")["connected"]!);
        scraped = PrometheusText.Parse(await http.GetStringAsync(metricsUrl));
        Assert.Equal(0, scraped.Value("timecoin_alerts_active", ("code", "whitelisted_peer_disconnected")));
        Assert.Equal(1, scraped.Value("timecoin_whitelisted_peers_connected"));
        GC.KeepAlive(back);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task GetNetworkInfo_InboundRpcWhitelistedPeerGoesDown_RowKeepsItsPortAndItsSourcesReason()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 2);
        // a trusts the whole 10.0.0.0/24 from its config and b (10.0.0.2) also by time-cli; b dials a, so a never
        // dialed b and has no address of b in its book: only the connection told a b's listen port.
        var (a, aDir) = await cluster.StartAsync(0, ["10.0.0.0/24"], rpc: true);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CliApplication.RunAsync(["--rpc-url", a.RpcUrl!.ToString(), "--datadir", aDir, "whitelist", "add", "10.0.0.2", "--reason", "node b"], output, error);
        Assert.True(exit == 0, error.ToString());
        var (b, _) = await cluster.StartAsync(1, ["10.0.0.1"]);
        await Eventually.True(() => a.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "b never connected to a");

        var info = await NetworkInfo(a, aDir);
        var up = Row(info, "10.0.0.2");
        Assert.True((bool)up["connected"]!);
        Assert.Equal("inbound", (string?)up["direction"]);
        Assert.Equal(InMemoryNodeCluster.Port, (int?)up["port"]);
        // source is the first source (config before rpc) and reason is that entry's, up or down; every source is listed.
        Assert.Equal(("config", "config whitelisted_peers"), ((string?)up["source"], (string?)up["reason"]));
        Assert.Equal(["config", "rpc"], up["sources"]!.AsArray().Select(s => (string)s!));

        await cluster.CrashAsync(b);
        await Eventually.True(() => a.Connections.Peers.Count == 0, TimeSpan.FromSeconds(30), () => "a still lists b");
        info = await NetworkInfo(a, aDir);
        var down = Row(info, "10.0.0.2");
        Assert.False((bool)down["connected"]!);
        Assert.Equal(InMemoryNodeCluster.Port, (int?)down["port"]);
        Assert.Equal(("config", "config whitelisted_peers"), ((string?)down["source"], (string?)down["reason"]));
        Assert.NotNull(down["last_disconnect"]);
    }

    [Fact]
    public async Task GetAlerts_WhitelistEmptyThenAnEntry_ActiveListAndHistoryShowRaiseAndClear()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 1);
        var (node, dir) = await cluster.StartAsync(0, [], rpc: true);
        await Eventually.True(() => node.Observability.Alerts.IsActive(AlertCodes.WhitelistEmpty), TimeSpan.FromSeconds(10), () => "no alert");
        async Task<(int Exit, string Output, string Error)> Cli(params string[] args)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exit = await CliApplication.RunAsync(["--rpc-url", node.RpcUrl!.ToString(), "--datadir", dir, .. args], output, error);
            return (exit, output.ToString(), error.ToString());
        }

        var (exit, text, error) = await Cli("get-alerts");
        Assert.True(exit == 0, error);
        var answer = JsonNode.Parse(text)!;
        Assert.Equal("whitelist_empty", (string?)Assert.Single(answer["active"]!.AsArray())!["code"]);
        Assert.False(answer.AsObject().ContainsKey("history"));

        // An entry clears it; the history keeps both changes, newest first, with the reason it cleared.
        Assert.Equal(0, (await Cli("whitelist", "add", "10.0.0.9")).Exit);
        await Eventually.True(() => !node.Observability.Alerts.IsActive(AlertCodes.WhitelistEmpty), TimeSpan.FromSeconds(10), () => "not cleared");
        (exit, text, error) = await Cli("get-alerts", "--history");
        Assert.True(exit == 0, error);
        var events = JsonNode.Parse(text)!["history"]!.AsArray().Where(e => (string?)e!["code"] == "whitelist_empty").ToArray();
        Assert.Equal(["cleared", "raised"], events.Select(e => (string)e!["event"]!));
        Assert.Equal("error", (string?)events[1]!["level"]);
        Assert.Contains("1 entries", (string?)events[0]!["resolution"]);
        Assert.Equal((string?)events[1]!["at"], (string?)events[0]!["since"]);

        (exit, text, _) = await Cli("get-alerts", "--history", "--limit", "1");
        Assert.Single(JsonNode.Parse(text)!["history"]!.AsArray());
        (exit, _, error) = await Cli("get-alerts", "--limit", "0");
        Assert.Equal(1, exit);
        Assert.Contains("parameter 'limit' must be from 1 to 256", error);
    }

    [Fact]
    public async Task GetNetworkInfo_EmptyWhitelist_ReportsWhitelistEmptyError()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 1);
        var (node, dir) = await cluster.StartAsync(0, [], rpc: true);
        await Eventually.True(() => node.Observability.Alerts.IsActive(AlertCodes.WhitelistEmpty), TimeSpan.FromSeconds(10), () => "no alert");

        var info = await NetworkInfo(node, dir);
        Assert.Equal(0, (int)info["whitelist_count"]!);
        Assert.Empty(info["whitelisted_peers"]!.AsArray());
        var alert = Assert.Single(info["alerts"]!.AsArray())!;
        Assert.Equal(("whitelist_empty", "error"), ((string)alert["code"]!, (string)alert["level"]!));
        Assert.Null(alert["subject"]);
    }
}
