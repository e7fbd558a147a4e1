namespace TimeCoin.Sync;

/// <summary>Limits of fork resolution. Defaults are the seed's numbers (2,000/10,000 blocks deep, 3/10 retries).</summary>
public sealed record ForkResolverOptions
{
    /// <summary>Deepest fork (our height minus the ancestor height) resolved for an ordinary peer.</summary>
    public int OrdinaryDepthLimit { get; init; } = 2_000;

    /// <summary>Deepest fork resolved for a whitelisted (priority-sync) peer.</summary>
    public int PriorityDepthLimit { get; init; } = 10_000;

    /// <summary>Retries after a failed attempt for an ordinary peer; the resolver gives up when one more fails.</summary>
    public int OrdinaryMaxRetries { get; init; } = 3;

    /// <summary>Retries after a failed attempt for a whitelisted peer.</summary>
    public int PriorityMaxRetries { get; init; } = 10;

    /// <summary>How long a header or block request of the resolution may stay unanswered before the attempt fails.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long after giving up a new resolution with the same peer may start.</summary>
    public TimeSpan GiveUpTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most headers a peer returns for one locator (the reply size peers are asked for).</summary>
    public int MaxHeadersPerRequest { get; init; } = 2_000;

    /// <summary>Number of evenly spaced hashes in the second-round locator (bounds the gap the reply has to cover).</summary>
    public int DenseLocatorSize { get; init; } = 64;

    /// <summary>Most blocks asked for in one branch block request.</summary>
    public int MaxBlocksPerRequest { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(OrdinaryDepthLimit, nameof(OrdinaryDepthLimit));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PriorityDepthLimit, nameof(PriorityDepthLimit));
        ArgumentOutOfRangeException.ThrowIfNegative(OrdinaryMaxRetries, nameof(OrdinaryMaxRetries));
        ArgumentOutOfRangeException.ThrowIfNegative(PriorityMaxRetries, nameof(PriorityMaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(GiveUpTimeout, TimeSpan.Zero, nameof(GiveUpTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeadersPerRequest, 2, nameof(MaxHeadersPerRequest));
        ArgumentOutOfRangeException.ThrowIfLessThan(DenseLocatorSize, 2, nameof(DenseLocatorSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBlocksPerRequest, nameof(MaxBlocksPerRequest));
    }
}
