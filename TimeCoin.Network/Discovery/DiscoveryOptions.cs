namespace TimeCoin.Network.Discovery;

/// <summary>Settings for <see cref="DiscoveryClient"/>.</summary>
public sealed record DiscoveryOptions
{
    /// <summary>The whole fetch (connect, headers and body) must finish within this. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest response body accepted, in bytes. Default 1 MiB.</summary>
    public int MaxResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>Most endpoints kept from one response; further valid entries are ignored. Default 1000.</summary>
    public int MaxEndpoints { get; init; } = 1000;
}
