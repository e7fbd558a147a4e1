namespace TimeCoin.Core.Policy;

/// <summary>Limits and thresholds of a <see cref="PeerPolicy"/>. Defaults follow the issue and Bitcoin Core.</summary>
public sealed class PeerPolicyOptions
{
    /// <summary>Maximum number of discovery whitelist entries (default 1,000; config <c>max_auto_whitelist</c>).</summary>
    public int MaxAutomaticWhitelistEntries { get; init; } = 1000;

    /// <summary>
    /// Maximum number of masternode whitelist entries (default 10,000), a cap separate from discovery's so neither
    /// crowds out the other. A full cap refuses newcomers and never removes an entry.
    /// </summary>
    public int MaxMasternodeWhitelistEntries { get; init; } = 10_000;

    /// <summary>A violation score resets when no violation was recorded for this long (default 1 hour).</summary>
    public TimeSpan ViolationResetAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Weight of an ordinary violation (default 1).</summary>
    public int OrdinaryViolationWeight { get; init; } = 1;

    /// <summary>Weight of a severe violation (default 5).</summary>
    public int SevereViolationWeight { get; init; } = 5;

    /// <summary>Score at which a short ban is placed (default 3).</summary>
    public int ShortBanThreshold { get; init; } = 3;

    /// <summary>Length of the short ban (default 5 minutes).</summary>
    public TimeSpan ShortBanDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Score at which a long ban is placed (default 5).</summary>
    public int LongBanThreshold { get; init; } = 5;

    /// <summary>Length of the long ban (default 1 hour).</summary>
    public TimeSpan LongBanDuration { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Score at which the ban becomes permanent (default 10).</summary>
    public int PermanentBanThreshold { get; init; } = 10;

    /// <summary>Maximum inbound connections from one IP address, unless whitelisted (default 3).</summary>
    public int MaxInboundPerIp { get; init; } = 3;

    /// <summary>
    /// Maximum inbound connections (default 117: Bitcoin Core's classic 125 connections minus 8 outbound).
    /// </summary>
    public int MaxInbound { get; init; } = 117;

    /// <summary>
    /// Inbound slots only peers with <see cref="PeerPermissions.ReservedSlot"/> may use (default 32): other peers
    /// are admitted only while fewer than <see cref="MaxInbound"/> minus this many of them are connected.
    /// </summary>
    public int ReservedInboundSlots { get; init; } = 32;

    /// <summary>
    /// Limits sized for honest masternode gossip on a network of 10,000 masternodes: each sends one heartbeat a
    /// minute (about 167 a second network-wide) and every node relays each heartbeat once, so one peer relays us at
    /// most about 167 heartbeats a second; <c>Heartbeat</c> allows 250 a second with a burst of 2,500. Announcements
    /// are rarer (start, address change): <c>MasternodeAnnouncement</c> allows 50 a second with a burst of 1,000.
    /// </summary>
    public static IReadOnlyDictionary<string, RateLimit> GossipRateLimits { get; } = new Dictionary<string, RateLimit>(StringComparer.Ordinal)
    {
        ["Heartbeat"] = new(250, 2500),
        ["MasternodeAnnouncement"] = new(50, 1000),
    };

    /// <summary>Rate limits per message kind (ordinal, case-sensitive keys, the message type names). Default <see cref="GossipRateLimits"/>.</summary>
    public IReadOnlyDictionary<string, RateLimit> RateLimits { get; init; } = GossipRateLimits;

    /// <summary>
    /// A peer above a rate limit has its excess dropped and is scored at most once per this window per message kind
    /// (default 60 s), so a burst is one ordinary violation, not one per message.
    /// </summary>
    public TimeSpan RateLimitScoreWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Rate limit for message kinds not in <see cref="RateLimits"/> (default 20 per second, burst 100).</summary>
    public RateLimit DefaultRateLimit { get; init; } = new(20, 100);

    /// <summary>Number of recent audit records kept in memory (default 1,000).</summary>
    public int AuditHistorySize { get; init; } = 1000;

    /// <summary>Returns the problems with these options (empty when valid), each naming the option.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
                errors.Add(message);
        }

        Require(MaxAutomaticWhitelistEntries >= 0, $"{nameof(MaxAutomaticWhitelistEntries)} must be 0 or more.");
        Require(MaxMasternodeWhitelistEntries >= 0, $"{nameof(MaxMasternodeWhitelistEntries)} must be 0 or more.");
        Require(ViolationResetAfter > TimeSpan.Zero, $"{nameof(ViolationResetAfter)} must be positive.");
        Require(OrdinaryViolationWeight > 0, $"{nameof(OrdinaryViolationWeight)} must be positive.");
        Require(SevereViolationWeight > 0, $"{nameof(SevereViolationWeight)} must be positive.");
        Require(ShortBanThreshold > 0, $"{nameof(ShortBanThreshold)} must be positive.");
        Require(LongBanThreshold >= ShortBanThreshold, $"{nameof(LongBanThreshold)} must be at least {nameof(ShortBanThreshold)}.");
        Require(PermanentBanThreshold >= LongBanThreshold, $"{nameof(PermanentBanThreshold)} must be at least {nameof(LongBanThreshold)}.");
        Require(ShortBanDuration > TimeSpan.Zero, $"{nameof(ShortBanDuration)} must be positive.");
        Require(LongBanDuration > TimeSpan.Zero, $"{nameof(LongBanDuration)} must be positive.");
        Require(MaxInboundPerIp > 0, $"{nameof(MaxInboundPerIp)} must be positive.");
        Require(MaxInbound >= 0, $"{nameof(MaxInbound)} must be 0 or more.");
        Require(ReservedInboundSlots >= 0 && ReservedInboundSlots <= MaxInbound,
            $"{nameof(ReservedInboundSlots)} must be between 0 and {nameof(MaxInbound)}.");
        Require(RateLimits is not null, $"{nameof(RateLimits)} must not be null.");
        if (RateLimits is not null)
        {
            foreach (var (kind, limit) in RateLimits)
                Require(RateLimiter.IsValid(limit), $"{nameof(RateLimits)}[{kind}] needs a positive rate and a burst of at least 1.");
        }
        Require(RateLimiter.IsValid(DefaultRateLimit), $"{nameof(DefaultRateLimit)} needs a positive rate and a burst of at least 1.");
        Require(RateLimitScoreWindow > TimeSpan.Zero, $"{nameof(RateLimitScoreWindow)} must be positive.");
        Require(AuditHistorySize >= 0, $"{nameof(AuditHistorySize)} must be 0 or more.");
        return errors;
    }
}
