using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Metrics;
using TimeCoin.Node.Services;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// What makes one node visible from outside: its <see cref="AlertCenter"/> (fed by the <see cref="NodeAlertMonitor"/>,
/// the sync coordinator's lag detection, the policy's violations and the stores' save results), its
/// <see cref="NodeMetrics"/> meter and the Prometheus exporter for that meter. <see cref="TimeNode"/> creates one per node.
/// </summary>
public sealed class NodeObservability : IAsyncDisposable
{
    private readonly ConnectionManager _connections;
    private readonly PeerPolicy _policy;
    private readonly SyncCoordinator _sync;
    private readonly EventHandler<ViolationRecord> _onViolation;
    private readonly TimeProvider _time;
    private readonly object _tickGate = new();
    private ITimer? _tick;
    private bool _disposed;

    private NodeObservability(AlertCenter alerts, NodeAlertMonitor monitor, NodeMetrics metrics, PrometheusMetricsServer exporter,
        ConnectionManager connections, PeerPolicy policy, SyncCoordinator sync, TimeProvider time)
    {
        _time = time;
        Alerts = alerts;
        AlertMonitor = monitor;
        Metrics = metrics;
        Exporter = exporter;
        _connections = connections;
        _policy = policy;
        _sync = sync;
        _onViolation = (_, violation) => monitor.OnViolation(violation);
        connections.PeerDisconnected += monitor.OnPeerDisconnected;
        policy.ViolationRecorded += _onViolation;
        sync.LagAlertChanged += monitor.OnSyncLagChanged;
    }

    /// <summary>The node's alerts (the one owner).</summary>
    public AlertCenter Alerts { get; }

    /// <summary>Raises and clears the alert conditions.</summary>
    public NodeAlertMonitor AlertMonitor { get; }

    /// <summary>The node's instruments.</summary>
    public NodeMetrics Metrics { get; }

    /// <summary>The Prometheus exporter of <see cref="Metrics"/> (serving HTTP only when <c>[metrics] listen</c> is set).</summary>
    public PrometheusMetricsServer Exporter { get; }

    /// <summary>Creates the alerts, monitor, meter and exporter of one node over its services (nothing runs yet).</summary>
    internal static NodeObservability Create(AlertCenter alerts, ConnectionManager connections, PeerPolicy policy, SyncCoordinator sync,
        ChainState chain, HeartbeatRegistry masternodes, string nodeId, NodeAlertMonitorOptions alertOptions, TimeProvider time, ILoggerFactory loggerFactory)
    {
        var monitor = new NodeAlertMonitor(alerts, () => new AlertInputs(
                policy.ListWhitelist(),
                connections.Peers.Where(p => p.IsWhitelisted).Select(p => new ConnectedWhitelistedPeer(p.RemoteEndPoint.Address, p.PeerId, p.ConnectedAt)).ToArray(),
                sync.GetStatus().ForkResolutions),
            alertOptions, time);
        var metrics = new NodeMetrics(new NodeMetricsSources
        {
            Connections = connections, Sync = sync, Chain = chain, Policy = policy, Masternodes = masternodes, Alerts = alerts,
        }, time);
        var exporter = new PrometheusMetricsServer(metrics.Meter, nodeId, loggerFactory.CreateLogger<PrometheusMetricsServer>());
        return new NodeObservability(alerts, monitor, metrics, exporter, connections, policy, sync, time);
    }

    /// <summary>Reports the save results of a store under <paramref name="name"/> (raises and clears <c>store_failing</c>).</summary>
    internal Action<Exception?> StoreResults(string name) =>
        error =>
        {
            if (error is null)
                AlertMonitor.OnStoreSucceeded(name);
            else
                AlertMonitor.OnStoreFailed(name, error);
        };

    /// <summary>
    /// Starts the alert evaluation, the connection sampling and (when <paramref name="metricsListen"/> is set) the metrics
    /// endpoint. When the alert evaluation interval equals <see cref="NodeMetrics.SampleInterval"/> (the default, 5 s)
    /// both run on one timer, evaluation first, then the sample: one wake per interval instead of two.
    /// </summary>
    public async Task StartAsync(IPEndPoint? metricsListen, CancellationToken cancellationToken)
    {
        if (AlertMonitor.EvaluateInterval == NodeMetrics.SampleInterval)
        {
            lock (_tickGate)
            {
                if (!_disposed)
                    _tick ??= _time.CreateTimer(static s => ((NodeObservability)s!).Tick(), this, TimeSpan.Zero, NodeMetrics.SampleInterval);
            }
        }
        else
        {
            AlertMonitor.Start();
            Metrics.Start();
        }
        if (metricsListen is not null)
            await Exporter.StartAsync(metricsListen, cancellationToken);
    }

    /// <summary>The shared tick: what the monitor's and the meter's own timers would each do.</summary>
    private void Tick()
    {
        try
        {
            AlertMonitor.Evaluate();
        }
        finally
        {
            Metrics.Sample();
        }
    }

    /// <summary>Stops the endpoint, the timers and the subscriptions.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_tickGate)
        {
            _disposed = true;
            _tick?.Dispose();
            _tick = null;
        }
        _connections.PeerDisconnected -= AlertMonitor.OnPeerDisconnected;
        _policy.ViolationRecorded -= _onViolation;
        _sync.LagAlertChanged -= AlertMonitor.OnSyncLagChanged;
        AlertMonitor.Dispose();
        await Exporter.DisposeAsync();
        Metrics.Dispose();
    }
}
