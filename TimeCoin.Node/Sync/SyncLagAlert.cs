namespace TimeCoin.Node.Sync;

/// <summary>The sync-lag alert changed: raised (lagging longer than the grace period) or cleared (caught up).</summary>
/// <param name="IsRaised">True when the alert was raised, false when it was cleared.</param>
/// <param name="Height">Our height at that moment.</param>
/// <param name="BestHeight">The best height reported by a peer at that moment.</param>
/// <param name="LaggingSince">When the lag began (null when cleared).</param>
/// <param name="At">When the alert changed.</param>
public sealed record SyncLagAlert(bool IsRaised, long Height, long BestHeight, DateTimeOffset? LaggingSince, DateTimeOffset At)
{
    /// <summary>The alert's stable code, as docs/TROUBLESHOOTING.md lists it.</summary>
    public const string Code = Alerts.AlertCodes.SyncLag;

    /// <summary>Blocks behind the best peer (zero or more).</summary>
    public long BlocksBehind => Math.Max(0, BestHeight - Height);
}
