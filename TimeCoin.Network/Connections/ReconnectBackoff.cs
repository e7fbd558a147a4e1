namespace TimeCoin.Network.Connections;

/// <summary>
/// Delay before the next dial of an address after <c>failures</c> consecutive failures (dial refused, handshake
/// failed, or a connection that did not last). Ordinary peers: <see cref="BaseDelay"/> doubling up to
/// <see cref="MaxDelay"/>. Persistent peers (whitelisted, masternodes): the first retry is immediate, then the same
/// doubling up to the short <see cref="PersistentMaxDelay"/>. Both get ±20 % jitter from an injected
/// <see cref="Random"/> so that many nodes that lost the same peer do not redial in lockstep. There is no limit on
/// the number of retries.
/// </summary>
/// <param name="BaseDelay">First delay for ordinary peers (default 1 s).</param>
/// <param name="MaxDelay">Cap for ordinary peers (default 5 min).</param>
/// <param name="PersistentMaxDelay">Cap for whitelisted peers and masternodes (default 30 s).</param>
internal sealed record ReconnectBackoff(TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan PersistentMaxDelay)
{
    /// <summary>1 s doubling to 5 min; persistent peers capped at 30 s.</summary>
    public static ReconnectBackoff Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));

    /// <summary>The delay before the next attempt.</summary>
    /// <param name="failures">Consecutive failures so far (1 after the first).</param>
    /// <param name="persistent">True for whitelisted peers and masternodes.</param>
    /// <param name="random">Jitter source (seeded by the caller); null for no jitter.</param>
    public TimeSpan NextDelay(int failures, bool persistent, Random? random)
    {
        if (failures <= 0)
            return TimeSpan.Zero;
        int doublings = persistent ? failures - 2 : failures - 1;
        if (doublings < 0)
            return TimeSpan.Zero; // persistent peers: first retry at once
        var cap = persistent ? PersistentMaxDelay : MaxDelay;
        double ticks = BaseDelay.Ticks * Math.Pow(2, Math.Min(doublings, 40));
        if (ticks > cap.Ticks)
            ticks = cap.Ticks;
        if (random is not null)
        {
            double jitter;
            lock (random)
                jitter = 0.8 + random.NextDouble() * 0.4;
            ticks = Math.Min(ticks * jitter, cap.Ticks);
        }
        return TimeSpan.FromTicks((long)ticks);
    }
}
