using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node.Tests.Hosting;

public class DevnetViewTests
{
    private static readonly DevnetNodeRow[] Rows =
    [
        new(0, "up", 120, "7330d110", 2, 1, 3, 0, 120, false, []),
        new(1, "up", 60, "11a6baf1", 0, 2, 2, 4, 120, true, ["sync_lag (warning)"]),
        new(2, "down", -1, "", 0, 0, 0, 0, -1, false, []),
    ];

    private static string RenderToText(Spectre.Console.Rendering.IRenderable renderable)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        console.Write(renderable);
        return writer.ToString();
    }

    [Fact]
    public void Render_Rows_ShowEveryColumnAndTheRecentEvents()
    {
        var text = RenderToText(DevnetView.Render(Rows, "devnet: 3 nodes", ["chaos: node 2 killed for 5 s"]));

        foreach (var column in new[] { "node", "height", "tip", "peers in/out", "whitelisted", "missed pongs", "catch-up", "alerts" })
            Assert.Contains(column, text);
        var lagging = text.Split('\n').Single(l => l.Contains("11a6baf1", StringComparison.Ordinal));
        Assert.Contains("0/2", lagging);
        Assert.Contains("60/120 (50%)", lagging);
        Assert.Contains("sync_lag (warning)", lagging);
        Assert.Contains(" 4 ", lagging);
        Assert.Contains("down", text);
        Assert.Contains("chaos: node 2 killed for 5 s", text);
    }

    [Fact]
    public void PlainLine_Rows_OneLineWithHeightsTipsMissedPongsAndAlerts()
    {
        var line = DevnetView.PlainLine(Rows, TimeSpan.FromSeconds(12));

        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("t=  12s heights/peers [  120/3p     60/2p      -/down]", line);
        Assert.Contains("distinct tips 2", line);
        Assert.Contains("missed pongs 4", line);
        Assert.Contains("node 1: sync_lag (warning)", line);
    }

    [Fact]
    public void CatchUp_AtOrAboveTheBestPeer_IsInSync()
    {
        Assert.Equal("in sync", Rows[0].CatchUp);
        Assert.Equal("", Rows[2].CatchUp);
    }

    [Fact]
    public void AlertText_WithAndWithoutSubject_CodeSubjectAndLevel()
    {
        var since = DateTimeOffset.UnixEpoch;
        Assert.Equal("whitelisted_peer_disconnected 127.0.0.2 (critical)", DevnetView.AlertText(
            new NodeAlert(AlertCodes.WhitelistedPeerDisconnected, AlertLevel.Critical, "gone", since, "127.0.0.2")));
        Assert.Equal("sync_lag (warning)", DevnetView.AlertText(new NodeAlert(AlertCodes.SyncLag, AlertLevel.Warning, "behind", since, null)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Snapshot_RunningNode_ShowsTheAlertsOfItsAlertCenter()
    {
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 1 }, NullLoggerFactory.Instance);
        var alerts = devnet.Nodes[0]!.Observability.Alerts;

        alerts.Raise(AlertCodes.StoreFailing, "writing chain failed: disk full", "chain");
        var raised = DevnetView.Snapshot(devnet, lateJoinerPending: false).Single();
        Assert.Contains("store_failing chain (error)", raised.Alerts);

        alerts.Clear(AlertCodes.StoreFailing, "chain");
        var cleared = DevnetView.Snapshot(devnet, lateJoinerPending: false).Single();
        Assert.DoesNotContain(cleared.Alerts, a => a.StartsWith("store_failing", StringComparison.Ordinal));
    }
}
