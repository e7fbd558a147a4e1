using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>
/// A node that is itself stopping raises no alerts about the peers it is closing or losing: its stop was asked for,
/// so a peer leaving then is not news for the operator (the devnet used to end with critical alert lines).
/// </summary>
public sealed class StoppingNodeAlertsTests
{
    private static ConcurrentQueue<string> RecordRaises(params TimeNode[] nodes)
    {
        var raised = new ConcurrentQueue<string>();
        for (int i = 0; i < nodes.Length; i++)
        {
            int index = i;
            nodes[i].Observability.Alerts.Changed += change =>
            {
                if (change.IsActive)
                    raised.Enqueue($"node {index}: {change.Alert.Code} {change.Alert.Subject} ({change.Alert.Level}): {change.Alert.Message}");
            };
        }
        return raised;
    }

    [Fact]
    public async Task RequestStop_ThenItsWhitelistedPeerIsLost_RaisesNoAlert()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 2);
        var (a, _) = await cluster.StartAsync(0, ["10.0.0.2"]);
        var (b, _) = await cluster.StartAsync(1, []);
        await Eventually.True(() => a.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "a never connected to b");
        // These nodes have no startup grace and evaluate every 100 ms: a loss now would raise two critical alerts at once.
        await Eventually.True(() => a.Observability.Alerts.GetActive().Count == 0, TimeSpan.FromSeconds(10),
            () => string.Join(", ", a.Observability.Alerts.GetActive().Select(x => x.Code)));
        var raised = RecordRaises(a);

        a.RequestStop();
        await cluster.CrashAsync(b);
        await Eventually.True(() => a.Connections.Peers.Count == 0, TimeSpan.FromSeconds(30), () => "a still lists b");
        a.Observability.AlertMonitor.Evaluate(); // what the timer would do next

        Assert.Empty(raised);
        Assert.Empty(a.Observability.Alerts.GetActive());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task DevnetDispose_NodesStopOneAfterAnother_NoneRaisesAnAlertAboutTheOthers()
    {
        var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 2 }, NullLoggerFactory.Instance);
        ConcurrentQueue<string> raised;
        try
        {
            var nodes = devnet.Nodes.Select(n => n!).ToArray();
            await Eventually.True(() => nodes.All(n => n.Connections.Peers.Count == 1), TimeSpan.FromSeconds(60),
                () => $"peers {string.Join(',', nodes.Select(n => n.Connections.Peers.Count))}");
            raised = RecordRaises(nodes);
        }
        finally
        {
            await devnet.DisposeAsync();
        }

        Assert.Empty(raised);
    }
}
