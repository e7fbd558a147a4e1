namespace TimeCoin.Core.Policy;

/// <summary>
/// Token buckets keyed by (peer id, message kind). Each bucket starts full (<see cref="RateLimit.Burst"/> tokens),
/// refills at <see cref="RateLimit.TokensPerSecond"/> from the injected clock, and one message takes one token.
/// A peer's buckets outlive its connection: <see cref="ReleasePeer"/> keeps them under the peer's address until they
/// are full again (then they are the same as new ones), and a peer from that address that has no buckets of its own
/// (the same node redialing, or a new node id) takes them over, so closing and redialing refills nothing. At most
/// <see cref="MaxReleased"/> released sets are kept (the oldest released goes first). Safe to call from many
/// connections at once.
/// </summary>
internal sealed class RateLimiter
{
    /// <summary>Most released bucket sets kept (each a few hundred bytes); the oldest released is dropped first.</summary>
    internal const int MaxReleased = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Bucket>> _buckets = new(StringComparer.Ordinal);
    // Released bucket sets by address, oldest released first in each list; _releasedOrder holds every one in release
    // order (for the cap). A set is in both or in neither.
    private readonly Dictionary<System.Net.IPAddress, List<Released>> _released = new();
    private readonly LinkedList<Released> _releasedOrder = new();
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
    public RateLimitVerdict Check(string peerId, string kind, TimeSpan scoreWindow) => Check(peerId, null, kind, scoreWindow);

    /// <summary>
    /// As <see cref="Check(string, string, TimeSpan)"/>, for a peer at <paramref name="address"/>: a peer without
    /// buckets takes over a set released at that address (see <see cref="ReleasePeer"/>) instead of starting full.
    /// </summary>
    public RateLimitVerdict Check(string peerId, System.Net.IPAddress? address, string kind, TimeSpan scoreWindow)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(kind);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (address is not null && !_buckets.ContainsKey(peerId))
                AdoptReleasedLocked(peerId, IpRange.Normalize(address), now, scoreWindow);
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

    /// <summary>Forgets every bucket of <paramref name="peerId"/> at once (nothing is kept for a redial).</summary>
    public void RemovePeer(string peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_gate)
            _buckets.Remove(peerId);
    }

    /// <summary>
    /// The last connection of <paramref name="peerId"/> (at <paramref name="address"/>) closed: its buckets are kept
    /// under the address until they are full again, for the next peer from there to take over (see
    /// <see cref="Check(string, System.Net.IPAddress?, string, TimeSpan)"/>). Sets already full again are dropped.
    /// </summary>
    public void ReleasePeer(string peerId, System.Net.IPAddress address, TimeSpan scoreWindow)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(address);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            PruneReleasedLocked(now, scoreWindow);
            if (!_buckets.Remove(peerId, out var set) || IsSpentLocked(set, now, scoreWindow))
                return;
            var ip = IpRange.Normalize(address);
            var released = new Released(ip, peerId, set);
            if (!_released.TryGetValue(ip, out var atAddress))
                _released[ip] = atAddress = [];
            atAddress.Add(released);
            released.Node = _releasedOrder.AddLast(released);
            while (_releasedOrder.Count > MaxReleased)
                ForgetReleasedLocked(_releasedOrder.First!.Value);
        }
    }

    /// <summary>Bucket sets kept for redials (released and not yet full again).</summary>
    public int ReleasedCount
    {
        get
        {
            lock (_gate)
                return _releasedOrder.Count;
        }
    }

    /// <summary>
    /// Gives <paramref name="peerId"/> a set released at <paramref name="ip"/>: its own when it has one there, else
    /// the most recently released. Sets that are full again are dropped on the way.
    /// </summary>
    private void AdoptReleasedLocked(string peerId, System.Net.IPAddress ip, DateTimeOffset now, TimeSpan scoreWindow)
    {
        if (!_released.TryGetValue(ip, out var atAddress))
            return;
        var pick = atAddress.FindLast(r => string.Equals(r.PeerId, peerId, StringComparison.Ordinal)) ?? atAddress[^1];
        ForgetReleasedLocked(pick);
        if (!IsSpentLocked(pick.Buckets, now, scoreWindow))
            _buckets[peerId] = pick.Buckets;
    }

    private void ForgetReleasedLocked(Released released)
    {
        _releasedOrder.Remove(released.Node!);
        var atAddress = _released[released.Address];
        atAddress.Remove(released);
        if (atAddress.Count == 0)
            _released.Remove(released.Address);
    }

    /// <summary>
    /// Drops the released sets that are full again, oldest released first, up to the first that is not: cheap on
    /// every release, and whatever it leaves is bounded by <see cref="MaxReleased"/> and dropped when taken over.
    /// </summary>
    private void PruneReleasedLocked(DateTimeOffset now, TimeSpan scoreWindow)
    {
        while (_releasedOrder.First is { } oldest && IsSpentLocked(oldest.Value.Buckets, now, scoreWindow))
            ForgetReleasedLocked(oldest.Value);
    }

    /// <summary>
    /// True when every bucket of <paramref name="set"/> is full again at <paramref name="now"/> and none scored within
    /// <paramref name="scoreWindow"/>: such a set is the same as a fresh one, so keeping it is pointless.
    /// </summary>
    private bool IsSpentLocked(Dictionary<string, Bucket> set, DateTimeOffset now, TimeSpan scoreWindow)
    {
        foreach (var (kind, bucket) in set)
        {
            var limit = LimitFor(kind);
            var elapsed = Math.Max(0, (now - bucket.RefilledAt).TotalSeconds);
            if (bucket.Tokens + elapsed * limit.TokensPerSecond < limit.Burst)
                return false;
            if (bucket.LastScoredAt is { } last && now - last < scoreWindow)
                return false;
        }
        return true;
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

    private sealed class Released(System.Net.IPAddress address, string peerId, Dictionary<string, Bucket> buckets)
    {
        public System.Net.IPAddress Address { get; } = address;

        public string PeerId { get; } = peerId;

        public Dictionary<string, Bucket> Buckets { get; } = buckets;

        public LinkedListNode<Released>? Node { get; set; }
    }

    private sealed class Bucket(double tokens, DateTimeOffset refilledAt)
    {
        public double Tokens { get; set; } = tokens;

        public DateTimeOffset RefilledAt { get; set; } = refilledAt;

        public DateTimeOffset? LastScoredAt { get; set; }
    }
}
