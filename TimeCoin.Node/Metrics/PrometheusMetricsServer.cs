using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace TimeCoin.Node.Metrics;

/// <summary>
/// Exports one node's <see cref="Meter"/> as Prometheus text: prometheus-net's <see cref="MeterAdapter"/> copies the
/// meter's instruments (and only that meter's: several nodes in one process each get their own registry) into a
/// <see cref="CollectorRegistry"/> labelled with the node id, and <see cref="StartAsync"/> serves it at
/// <c>GET /metrics</c> on Kestrel. <see cref="ExportAsync"/> writes the same text without HTTP.
/// </summary>
public sealed class PrometheusMetricsServer : IAsyncDisposable
{
    /// <summary>Buckets of <c>timecoin_ping_rtt_seconds</c>: 1 ms to 30 s.</summary>
    public static readonly double[] PingBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    static PrometheusMetricsServer()
    {
        // The process-wide default registry would, on its first collection, start a MeterAdapter over every meter in
        // the process (all nodes mixed). Nothing exports it; make sure it never starts one.
        Prometheus.Metrics.SuppressDefaultMetrics();
    }

    private readonly CollectorRegistry _registry;
    private readonly IDisposable _adapter;
    private readonly ILogger _logger;
    private WebApplication? _app;

    /// <summary>Creates the registry for <paramref name="meter"/>; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="meter">The node's meter.</param>
    /// <param name="nodeId">The node id (short form) put on every series as the <c>node</c> label.</param>
    /// <param name="logger">Log sink.</param>
    public PrometheusMetricsServer(Meter meter, string nodeId, ILogger<PrometheusMetricsServer> logger)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(nodeId);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _registry = Prometheus.Metrics.NewCustomRegistry();
        _registry.SetStaticLabels(new Dictionary<string, string> { ["node"] = nodeId });
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = _registry,
            // prometheus-net 8 defaults MetricFactory to the process-wide default registry's factory, which takes
            // precedence over Registry: point it at this node's registry.
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(_registry),
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, meter),
            ResolveHistogramBuckets = _ => PingBuckets,
            // Series are refreshed at every scrape (observable instruments) or kept by their owner; keep them a day.
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
    }

    /// <summary>The bound endpoint once started (with the real port when 0 was asked), else null.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Writes the current Prometheus text exposition to <paramref name="output"/>.</summary>
    public Task ExportAsync(Stream output, CancellationToken cancellationToken = default) =>
        _registry.CollectAndExportAsTextAsync(output, cancellationToken);

    /// <summary>Starts serving <c>GET /metrics</c> on <paramref name="listen"/>.</summary>
    public async Task StartAsync(IPEndPoint listen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (_app is not null)
            throw new InvalidOperationException("the metrics server is already started");
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        _app = app;
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        LocalEndPoint = new IPEndPoint(listen.Address, address.Port);
        _logger.LogInformation("Prometheus metrics at http://{MetricsEndPoint}/metrics", LocalEndPoint);
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != "/metrics")
        {
            context.Response.StatusCode = context.Request.Path == "/metrics" ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound;
            return;
        }
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ExportAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>Stops serving and detaches from the meter.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
        _adapter.Dispose();
    }
}
