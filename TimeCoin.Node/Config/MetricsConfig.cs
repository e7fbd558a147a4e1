namespace TimeCoin.Node.Config;

/// <summary>The <c>[metrics]</c> section: the Prometheus endpoint.</summary>
public sealed record MetricsConfig
{
    /// <summary>
    /// <c>listen</c>: <c>ip:port</c> where <c>GET /metrics</c> serves Prometheus text (e.g. <c>"127.0.0.1:9464"</c>).
    /// Default <c>""</c>: off. Anyone who can reach it can read it (there is no authentication), so bind it to loopback
    /// or a monitoring network.
    /// </summary>
    public string Listen { get; init; } = "";
}
