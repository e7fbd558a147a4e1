using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
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
        var logs = new CriticalLineCounter();
        var (a, _) = await cluster.StartAsync(0, ["10.0.0.2"], loggers: logs);
        var (b, _) = await cluster.StartAsync(1, []);
        await Eventually.True(() => a.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "a never connected to b");
        // These nodes have no startup grace and evaluate every 100 ms: a loss now would raise two critical alerts at once.
        await Eventually.True(() => a.Observability.Alerts.GetActive().Count == 0, TimeSpan.FromSeconds(10),
            () => string.Join(", ", a.Observability.Alerts.GetActive().Select(x => x.Code)));
        var raised = RecordRaises(a);
        logs.Lines.Clear(); // the alerts raised at start, before b connected

        a.RequestStop();
        await cluster.CrashAsync(b);
        await Eventually.True(() => a.Connections.Peers.Count == 0, TimeSpan.FromSeconds(30), () => "a still lists b");
        a.Observability.AlertMonitor.Evaluate(); // what the timer would do next

        Assert.Empty(raised);
        Assert.Empty(a.Observability.Alerts.GetActive());
        // Nor the Critical log line of the connection layer (the devnet's shutdown printed one now and then).
        Assert.Empty(logs.Lines);
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

    /// <summary>Keeps the Critical lines every logger of a node writes.</summary>
    private sealed class CriticalLineCounter : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Critical;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Critical)
                Lines.Enqueue(formatter(state, exception));
        }
    }
}
