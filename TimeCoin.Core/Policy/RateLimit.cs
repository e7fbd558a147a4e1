namespace TimeCoin.Core.Policy;

/// <summary>A token-bucket limit: a sustained rate and a burst (the bucket's size).</summary>
/// <param name="TokensPerSecond">Messages per second allowed on average; must be positive.</param>
/// <param name="Burst">Messages allowed at once after a quiet period; at least 1.</param>
public readonly record struct RateLimit(double TokensPerSecond, double Burst);
