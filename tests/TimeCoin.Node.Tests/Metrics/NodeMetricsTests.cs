using System.Text;
using System.Text.RegularExpressions;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Metrics;
using TimeCoin.Node.Tests.EndToEnd;

namespace TimeCoin.Node.Tests.Metrics;

/// <summary>The Prometheus exposition of whole in-memory nodes, read through the node's own exporter.</summary>
public sealed partial class NodeMetricsTests
{
    private static async Task<PrometheusText> Scrape(TimeNode node)
    {
        node.Observability.Metrics.Sample();
        using var buffer = new MemoryStream();
        await node.Observability.Exporter.ExportAsync(buffer);
        return PrometheusText.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public async Task Export_TwoNodesInOneProcess_EachHasItsOwnSeriesAndNodeLabel()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 2);
        var (a, _) = await cluster.StartAsync(0, ["10.0.0.2"]);
        var (b, _) = await cluster.StartAsync(1, []);
        a.Producer.Generate(3);
        await Eventually.True(() => a.Connections.Peers.Count == 1 && b.Connections.Peers.Count == 1 && b.Chain.State.Height == 3,
            TimeSpan.FromSeconds(30), () => $"peers {a.Connections.Peers.Count}/{b.Connections.Peers.Count}, heights {a.Chain.State.Height}/{b.Chain.State.Height}");
        b.Producer.Generate(2); // b is now ahead by 2 until a syncs; heights differ at least for a moment: compare each with its own chain

        var metricsA = await Scrape(a);
        var metricsB = await Scrape(b);

        Assert.All(metricsA.Samples, s => Assert.Equal(a.Options.Identity.PublicKey.ToShortString(), s.Labels["node"]));
        Assert.All(metricsB.Samples, s => Assert.Equal(b.Options.Identity.PublicKey.ToShortString(), s.Labels["node"]));
        // a dialed b (whitelisted by a); b sees an ordinary inbound peer (b has no whitelist).
        Assert.Equal(1, metricsA.Value("timecoin_peers", ("direction", "out"), ("class", "whitelisted")));
        Assert.Equal(0, metricsA.Value("timecoin_peers", ("direction", "in"), ("class", "whitelisted")));
        Assert.Equal(1, metricsB.Value("timecoin_peers", ("direction", "in"), ("class", "ordinary")));
        Assert.Equal(1, metricsA.Value("timecoin_whitelisted_peers_connected"));
        Assert.Equal(0, metricsB.Value("timecoin_whitelisted_peers_connected"));
        Assert.Equal(1, metricsA.Value("timecoin_whitelist_entries"));
        Assert.True(metricsB.Value("timecoin_chain_height") >= 5);
        Assert.True(metricsA.Value("timecoin_chain_height") >= 3);
        Assert.True(metricsA.Value("timecoin_network_bytes_total", ("direction", "in")) > 0);
        Assert.True(metricsA.Value("timecoin_network_bytes_total", ("direction", "out")) > 0);
        // b has an empty whitelist: its whitelist_empty alert is on (fast alert options have no startup grace), a's is off.
        await Eventually.True(() => b.Observability.Alerts.IsActive(AlertCodes.WhitelistEmpty), TimeSpan.FromSeconds(10), () => "no whitelist_empty on b");
        metricsB = await Scrape(b);
        Assert.Equal(1, metricsB.Value("timecoin_alerts_active", ("code", "whitelist_empty"), ("level", "error")));
        Assert.Equal(0, metricsA.Value("timecoin_alerts_active", ("code", "whitelist_empty")));
    }

    [Fact]
    public async Task Export_Node_PublishesEverySeriesTheIssueNames()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 1);
        var (node, _) = await cluster.StartAsync(0, ["10.0.0.2"]);
        // Its one whitelisted peer never runs: once the monitor has said so, the alert state no longer changes.
        await Eventually.True(() => node.Observability.Alerts.IsActive(AlertCodes.NoWhitelistedPeerConnected), TimeSpan.FromSeconds(10), () => "no alert");
        var metrics = await Scrape(node);

        foreach (var family in ExpectedFamilies)
            Assert.True(metrics.HasFamily(family), $"missing {family}");
        // Every code has a series: the active one at 1, the others at 0.
        foreach (var code in AlertCodes.All)
            Assert.Equal(code == AlertCodes.NoWhitelistedPeerConnected ? 1 : 0, metrics.Value("timecoin_alerts_active", ("code", code)));
    }

    /// <summary>Every family the issue asks for; the ping histogram appears once a pong was sampled, so it is checked where peers exist.</summary>
    internal static readonly string[] ExpectedFamilies =
    [
        "timecoin_peers", "timecoin_whitelisted_peers_connected", "timecoin_whitelist_entries", "timecoin_peer_disconnects_total",
        "timecoin_peer_missed_pongs", "timecoin_missed_pongs_total", "timecoin_chain_height", "timecoin_sync_best_peer_height",
        "timecoin_sync_blocks_in_flight", "timecoin_sync_lag_blocks", "timecoin_sync_syncing", "timecoin_sync_catchup_blocks_per_second",
        "timecoin_bans_active", "timecoin_alerts_active", "timecoin_masternodes", "timecoin_network_bytes_total",
    ];

    [GeneratedRegex("timecoin_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [Fact]
    public async Task DeployFiles_EveryMetricTheyReference_ExistsInARunningNodesExport()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 2);
        var (a, _) = await cluster.StartAsync(0, ["10.0.0.2"]);
        var (b, _) = await cluster.StartAsync(1, ["10.0.0.1"]);
        // Wait for a pong so the ping histogram has a sample (ping interval is the default's; the first ping goes out at connect).
        await Eventually.True(() => a.Connections.Peers.Count == 1 && a.Connections.Peers[0].PingStatistics.LastPongAt is not null,
            TimeSpan.FromSeconds(60), () => $"peers {a.Connections.Peers.Count}");
        var metrics = await Scrape(a);
        Assert.Equal("histogram", metrics.Types["timecoin_ping_rtt_seconds"]);
        Assert.True(metrics.Value("timecoin_ping_rtt_seconds_count", ("class", "whitelisted")) >= 1);

        var files = new[] { "prometheus-alerts.yml", "grafana-dashboard.json" };
        var referenced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var path = Path.Combine(AppContext.BaseDirectory, "deploy", file);
            Assert.True(File.Exists(path), $"{path} is not shipped");
            foreach (Match match in MetricName().Matches(File.ReadAllText(path)))
                referenced.Add(match.Value);
        }
        Assert.NotEmpty(referenced);
        var missing = referenced.Where(name => !metrics.HasFamily(name)).ToList();
        Assert.True(missing.Count == 0, "referenced but not exported: " + string.Join(", ", missing));
        // The four analysis alerts each have a rule.
        var rules = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "deploy", "prometheus-alerts.yml"));
        foreach (var code in new[] { AlertCodes.WhitelistedPeerDisconnected, AlertCodes.SyncLag, AlertCodes.NoWhitelistedPeerConnected, AlertCodes.WhitelistEmpty })
            Assert.Contains($"code=\"{code}\"", rules);
    }

    [Theory]
    [InlineData("liveness: 3 pongs missed", "liveness")]
    [InlineData("violation: WrongGenesis: mismatch", "violation")]
    [InlineData("banned: spam", "banned")]
    [InlineData("address banned during the handshake", "banned")]
    [InlineData("duplicate", "duplicate")]
    [InlineData("evicted to admit an inbound connection from 1.2.3.4", "evicted")]
    [InlineData("protocol error: bad checksum", "protocol_error")]
    [InlineData("connection closed by the remote", "connection_closed")]
    [InlineData("send failed: connection closed", "connection_closed")]
    [InlineData("node stopping", "node_stopping")]
    [InlineData("something new", "other")]
    public void Classify_Reason_MapsToFixedLabel(string reason, string label) =>
        Assert.Equal(label, DisconnectReasons.Classify(reason));

    [Theory]
    [InlineData("goodbye: node stopping")]
    [InlineData("goodbye: duplicate")]
    public void Classify_RecordClosedByGoodbye_IsGoodbyeWhateverItsReason(string reason)
    {
        var record = new DisconnectRecord("ab12", new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 24100), false, true, reason,
            DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)) { ClosedByGoodbye = true };

        Assert.Equal("goodbye", DisconnectReasons.Classify(record));
        Assert.Contains("goodbye", DisconnectReasons.All);
        Assert.Equal("liveness", DisconnectReasons.Classify(record with { ClosedByGoodbye = false, Reason = "liveness: 3 pongs missed" }));
    }
}
