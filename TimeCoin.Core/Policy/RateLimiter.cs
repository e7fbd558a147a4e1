namespace TimeCoin.Core.Policy;

/// <summary>
/// Token buckets keyed by (peer id, message kind). Each bucket starts full (<see cref="RateLimit.Burst"/> tokens),
/// refills at <see cref="RateLimit.TokensPerSecond"/> from the injected clock, and one message takes one token.
/// Safe to call from many connections at once.
/// </summary>
internal sealed class RateLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Bucket>> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RateLimit> _limits;
    private readonly RateLimit _defaultLimit;
    private readonly TimeProvider _time;

    /// <summary>Creates a limiter.</summary>
    /// <param name="limits">Per message kind (ordinal keys).</param>
    /// <param name="defaultLimit">For kinds not in <paramref name="limits"/>.</param>
    /// <param name="time">The clock that refills buckets.</param>
    /// <exception cref="ArgumentException">A limit has a non-positive rate or a burst below 1.</exception>
    public RateLimiter(IReadOnlyDictionary<string, RateLimit> limits, RateLimit defaultLimit, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        foreach (var (kind, limit) in limits)
        {
            if (!IsValid(limit))
                throw new ArgumentException($"Rate limit for '{kind}' needs a positive rate and a burst of at least 1.", nameof(limits));
        }
        if (!IsValid(defaultLimit))
            throw new ArgumentException("The default rate limit needs a positive rate and a burst of at least 1.", nameof(defaultLimit));
        _limits = new Dictionary<string, RateLimit>(limits, StringComparer.Ordinal);
        _defaultLimit = defaultLimit;
        _time = time;
    }

    /// <summary>The limit that applies to <paramref name="kind"/>.</summary>
    public RateLimit LimitFor(string kind) => _limits.GetValueOrDefault(kind, _defaultLimit);

    /// <summary>
    /// Takes one token from the bucket of (<paramref name="peerId"/>, <paramref name="kind"/>). Returns false when
    /// the bucket is empty: the message exceeds the limit and the caller records
    /// <see cref="ViolationKind.RateLimitExceeded"/>.
    /// </summary>
    public bool TryConsume(string peerId, string kind)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_buckets.TryGetValue(peerId, out var byKind))
                _buckets[peerId] = byKind = new Dictionary<string, Bucket>(StringComparer.Ordinal);
            var limit = LimitFor(kind);
            if (!byKind.TryGetValue(kind, out var bucket))
                byKind[kind] = bucket = new Bucket(limit.Burst, now);

            var elapsed = Math.Max(0, (now - bucket.RefilledAt).TotalSeconds);
            bucket.Tokens = Math.Min(limit.Burst, bucket.Tokens + elapsed * limit.TokensPerSecond);
            bucket.RefilledAt = now > bucket.RefilledAt ? now : bucket.RefilledAt;
            if (bucket.Tokens < 1)
                return false;
            bucket.Tokens -= 1;
            return true;
        }
    }

    /// <summary>
    /// Takes one token like <see cref="TryConsume"/>, and decides about an excess message: it is dropped, and only the
    /// first excess in each <paramref name="scoreWindow"/> of a (peer, kind) bucket is to be scored, so a burst of
    /// excess costs a peer one violation per window, not one per message.
    /// </summary>
    public RateLimitVerdict Check(string peerId, string kind, TimeSpan scoreWindow)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var bucket = RefillLocked(peerId, kind, now);
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return RateLimitVerdict.Allowed;
            }
            if (bucket.LastScoredAt is { } last && now - last < scoreWindow)
                return RateLimitVerdict.Dropped;
            bucket.LastScoredAt = now;
            return RateLimitVerdict.DroppedAndScored;
        }
    }

    private Bucket RefillLocked(string peerId, string kind, DateTimeOffset now)
    {
        if (!_buckets.TryGetValue(peerId, out var byKind))
            _buckets[peerId] = byKind = new Dictionary<string, Bucket>(StringComparer.Ordinal);
        var limit = LimitFor(kind);
        if (!byKind.TryGetValue(kind, out var bucket))
            byKind[kind] = bucket = new Bucket(limit.Burst, now);
        var elapsed = Math.Max(0, (now - bucket.RefilledAt).TotalSeconds);
        bucket.Tokens = Math.Min(limit.Burst, bucket.Tokens + elapsed * limit.TokensPerSecond);
        bucket.RefilledAt = now > bucket.RefilledAt ? now : bucket.RefilledAt;
        return bucket;
    }

    /// <summary>Forgets every bucket of <paramref name="peerId"/> (call when the connection closes).</summary>
    public void RemovePeer(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_gate)
            _buckets.Remove(peerId);
    }

    /// <summary>Number of peers that currently have buckets.</summary>
    public int TrackedPeerCount
    {
        get
        {
            lock (_gate)
                return _buckets.Count;
        }
    }

    internal static bool IsValid(RateLimit limit) =>
        double.IsFinite(limit.TokensPerSecond) && limit.TokensPerSecond > 0
        && double.IsFinite(limit.Burst) && limit.Burst >= 1;

    private sealed class Bucket(double tokens, DateTimeOffset refilledAt)
    {
        public double Tokens { get; set; } = tokens;

        public DateTimeOffset RefilledAt { get; set; } = refilledAt;

        public DateTimeOffset? LastScoredAt { get; set; }
    }
}
