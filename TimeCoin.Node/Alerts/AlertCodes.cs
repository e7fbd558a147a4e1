namespace TimeCoin.Node.Alerts;

/// <summary>
/// The stable codes of every alert the node raises. RPC (<c>alerts[].code</c>), logs and the
/// <c>timecoin_alerts_active{code=...}</c> metric use these strings; docs/alerts-and-metrics.md says what each means
/// and what to check.
/// </summary>
public static class AlertCodes
{
    /// <summary>A whitelisted peer that was connected is gone without an orderly goodbye (critical; subject: its IP).
    /// Clears when a connection from that IP is back or the IP is no longer whitelisted.</summary>
    public const string WhitelistedPeerDisconnected = "whitelisted_peer_disconnected";

    /// <summary>A whitelisted peer that was connected left in order, with a Goodbye (a restart, an upgrade), and is not
    /// back yet (warning; subject: its IP; the message carries the goodbye's reason). Clears like
    /// <see cref="WhitelistedPeerDisconnected"/>; a later loss without a goodbye replaces it with that critical alert.</summary>
    public const string WhitelistedPeerDeparted = "whitelisted_peer_departed";

    /// <summary>More than <c>sync.lag_warning_blocks</c> behind the best peer for longer than <c>sync.lag_grace_secs</c> (warning).</summary>
    public const string SyncLag = "sync_lag";

    /// <summary>The whitelist has entries but no whitelisted peer is connected (critical).</summary>
    public const string NoWhitelistedPeerConnected = "no_whitelisted_peer_connected";

    /// <summary>The whitelist is empty: no trusted peers are configured or discovered (error; the config-problem signal).</summary>
    public const string WhitelistEmpty = "whitelist_empty";

    /// <summary>Writing to the node's database failed (error; subject: what was being stored).</summary>
    public const string StoreFailing = "store_failing";

    /// <summary>A whitelisted no-ban peer committed a severe protocol violation and was disconnected (error; subject: its IP).</summary>
    public const string NoBanPeerSevereViolation = "noban_peer_severe_violation";

    /// <summary>Fork resolution with a peer gave up (depth limit, retries, invalid branch) (warning; subject: the peer id).</summary>
    public const string ForkResolutionGaveUp = "fork_resolution_gave_up";

    /// <summary>Every code, in a fixed order (metrics publish a series for each, 0 when inactive).</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        WhitelistedPeerDisconnected, SyncLag, NoWhitelistedPeerConnected, WhitelistEmpty, StoreFailing,
        NoBanPeerSevereViolation, ForkResolutionGaveUp, WhitelistedPeerDeparted,
    ];

    /// <summary>The level each code is raised at.</summary>
    public static AlertLevel LevelOf(string code) => code switch
    {
        WhitelistedPeerDisconnected or NoWhitelistedPeerConnected => AlertLevel.Critical,
        WhitelistEmpty or StoreFailing or NoBanPeerSevereViolation => AlertLevel.Error,
        _ => AlertLevel.Warning,
    };
}
