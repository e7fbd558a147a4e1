using System.Net;

namespace TimeCoin.Network.Discovery;

/// <summary>The outcome of one <see cref="DiscoveryClient.FetchAsync"/>.</summary>
/// <param name="Endpoints">The valid, distinct peer endpoints, in response order.</param>
/// <param name="SkippedEntries">Entries that were not valid addresses (or not strings), skipped.</param>
/// <param name="Failure">Why there are no endpoints, or null on success.</param>
/// <param name="Detail">Human-readable summary for the log.</param>
internal sealed record DiscoveryResult(IReadOnlyList<IPEndPoint> Endpoints, int SkippedEntries, DiscoveryFailure? Failure, string Detail)
{
    /// <summary>True when the caller should use its bootstrap peers instead: the fetch failed or found nobody.</summary>
    public bool ShouldFallBack => Failure is not null;

    /// <summary>A failed fetch with no endpoints.</summary>
    public static DiscoveryResult Failed(DiscoveryFailure failure, string detail, int skipped = 0) => new([], skipped, failure, detail);
}
