using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using TimeCoin.Node.Alerts;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// What <c>time-node devnet</c> shows: a snapshot of every node (<see cref="Snapshot"/>), drawn as a Spectre.Console
/// table refreshed in place on a terminal (<see cref="Render"/>), or as one plain line per refresh otherwise
/// (<see cref="PlainLine"/>), so CI logs and pipes stay readable.
/// </summary>
internal static class DevnetView
{
    /// <summary>Reads every node's status now.</summary>
    public static IReadOnlyList<DevnetNodeRow> Snapshot(Devnet devnet, bool lateJoinerPending)
    {
        var rows = new List<DevnetNodeRow>();
        for (int i = 0; i < devnet.Nodes.Count; i++)
        {
            if (devnet.Nodes[i] is not { } node)
            {
                bool waiting = lateJoinerPending && i == devnet.Nodes.Count - 1;
                rows.Add(new DevnetNodeRow(i, waiting ? "waiting" : "down", -1, "", 0, 0, 0, 0, -1, false, []));
                continue;
            }
            try
            {
                rows.Add(Row(i, node));
            }
            catch (ObjectDisposedException)
            {
                // Chaos stopped this node while the view read it.
                rows.Add(new DevnetNodeRow(i, "down", -1, "", 0, 0, 0, 0, -1, false, []));
            }
        }
        return rows;
    }

    /// <summary>
    /// How one active alert reads in the alerts column and the plain line: its code, its subject when it has one, and its
    /// level, e.g. <c>whitelisted_peer_disconnected 127.0.0.1 (critical)</c> or <c>sync_lag (warning)</c>.
    /// </summary>
    public static string AlertText(NodeAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var level = alert.Level.ToString().ToLowerInvariant();
        return alert.Subject is { Length: > 0 } subject ? $"{alert.Code} {subject} ({level})" : $"{alert.Code} ({level})";
    }

    private static DevnetNodeRow Row(int i, TimeNode node)
    {
        var peers = node.Connections.GetPeerInfos();
        var sync = node.Sync.GetStatus();
        int whitelisted = peers.Count(p => p.IsWhitelisted);
        // The node's own alert owner decides what is wrong; the view only formats it.
        var alerts = node.Observability.Alerts.GetActive().Select(AlertText).ToList();
        return new DevnetNodeRow(i, "up", node.Chain.State.Height, node.Chain.State.TipHash.ToString()[..8],
            node.Connections.InboundCount, node.Connections.OutboundCount, whitelisted, peers.Sum(p => p.MissedPongs),
            Math.Max(sync.BestHeight, peers.Count == 0 ? -1 : peers.Max(p => p.BestHeight)), sync.IsSyncing, alerts);
    }

    /// <summary>The table plus the header, chaos and recent-log lines under it.</summary>
    public static IRenderable Render(IReadOnlyList<DevnetNodeRow> rows, string header, IReadOnlyList<string> events)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(header));
        foreach (var column in new[] { "node", "state", "height", "tip", "peers in/out", "whitelisted", "missed pongs", "catch-up", "alerts" })
            table.AddColumn(new TableColumn(column));
        long best = rows.Count == 0 ? 0 : rows.Max(r => r.Height);
        foreach (var row in rows)
        {
            var heightColor = row.State != "up" ? "grey" : best - row.Height > 10 ? "red" : best - row.Height > 2 ? "yellow" : "green";
            table.AddRow(
                new Text(row.Index.ToString(CultureInfo.InvariantCulture)),
                new Markup(row.State == "up" ? "[green]up[/]" : $"[grey]{row.State}[/]"),
                new Markup($"[{heightColor}]{(row.Height < 0 ? "-" : row.Height.ToString(CultureInfo.InvariantCulture))}[/]"),
                new Text(row.Tip),
                new Text(row.State == "up" ? $"{row.PeersIn}/{row.PeersOut}" : ""),
                new Text(row.State == "up" ? row.WhitelistedConnected.ToString(CultureInfo.InvariantCulture) : ""),
                new Markup(row.MissedPongs > 0 ? $"[yellow]{row.MissedPongs}[/]" : row.State == "up" ? "0" : ""),
                new Text(row.CatchUp),
                new Markup(row.Alerts.Count == 0 ? "" : "[red]" + Markup.Escape(string.Join("; ", row.Alerts)) + "[/]"));
        }
        var lines = new List<IRenderable> { table };
        foreach (var line in events)
            lines.Add(new Text(line));
        return new Rows(lines);
    }

    /// <summary>One line for non-terminal output: each node's height/peers, distinct tips, alerts.</summary>
    public static string PlainLine(IReadOnlyList<DevnetNodeRow> rows, TimeSpan elapsed)
    {
        var parts = rows.Select(r => r.State == "up" ? $"{r.Height,5}/{r.PeersIn + r.PeersOut}p" : $"{"-",5}/{r.State}");
        var tips = rows.Where(r => r.State == "up").Select(r => r.Tip).Distinct().Count();
        var alerts = rows.Where(r => r.Alerts.Count > 0).Select(r => $"node {r.Index}: {string.Join("; ", r.Alerts)}").ToList();
        var missed = rows.Sum(r => r.MissedPongs);
        return $"t={elapsed.TotalSeconds,4:0}s heights/peers [{string.Join("  ", parts)}]  distinct tips {tips}"
            + (missed > 0 ? $"  missed pongs {missed}" : "")
            + (alerts.Count > 0 ? "  alerts: " + string.Join(", ", alerts) : "");
    }
}
