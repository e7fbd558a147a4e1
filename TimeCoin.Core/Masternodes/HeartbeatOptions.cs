namespace TimeCoin.Core.Masternodes;

/// <summary>Timing and limits of the <see cref="HeartbeatRegistry"/>. Defaults are the earlier node's figures.</summary>
public sealed record HeartbeatOptions
{
    /// <summary>Options with every default.</summary>
    public static HeartbeatOptions Default { get; } = new();

    /// <summary>How often a masternode sends a heartbeat. Default 60 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Heartbeat intervals without any heartbeat after which a masternode is offline. Default 5.</summary>
    public int MissedHeartbeatsBeforeOffline { get; init; } = 5;

    /// <summary>How long after it was last heard from a masternode becomes offline (interval × missed; 300 s by default).</summary>
    public TimeSpan OfflineAfter => HeartbeatInterval * MissedHeartbeatsBeforeOffline;

    /// <summary>How long a masternode stays offline before it is removed from the registry. Default 1 h.</summary>
    public TimeSpan RemoveAfterOffline { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Largest accepted difference, either way, between a message's signed timestamp and our clock. Default 120 s.
    /// It also bounds replays: a message older than this is refused even after its masternode was forgotten.
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Oldest signed timestamp accepted for an announcement taken from a <c>Masternodes</c> list
    /// (<see cref="HeartbeatRegistry.AcceptListed"/>): <see cref="OfflineAfter"/> + <see cref="MaxClockSkew"/> (420 s by
    /// default). A masternode re-signs its announcement every five heartbeats (= <see cref="OfflineAfter"/> at the
    /// defaults), so the last one a list hands on is up to that old; one older than this would say nothing about a
    /// masternode that is still active. Replays stay harmless: a masternode is forgotten only
    /// <see cref="RemoveAfterOffline"/> after it went offline, long after this.
    /// </summary>
    public TimeSpan MaxListedAnnouncementAge => OfflineAfter + MaxClockSkew;

    /// <summary>
    /// Most masternodes the registry holds. Default 10,000. When it is full, a new masternode's announcement pushes out
    /// an offline masternode: one that never sent a heartbeat first, then the one offline the longest. So made-up
    /// masternodes that never send a heartbeat cannot keep real ones out for the <see cref="RemoveAfterOffline"/> they
    /// would otherwise linger. It is refused only when none is offline. Active masternodes are never pushed out.
    /// </summary>
    public int MaxMasternodes { get; init; } = 10_000;

    /// <summary>How often the node should call <see cref="HeartbeatRegistry.Evaluate"/>. Default 30 s.</summary>
    public TimeSpan EvaluateInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Shortest time between two address changes of one masternode. Default 10 min. A signed announcement or heartbeat
    /// naming another address within this time of the last change is still accepted (the masternode counts as heard
    /// from), but its address is not taken: the next one after the interval brings it. Anyone can make a key, and every
    /// change moves the masternode's whitelist entry and wakes the dialer; a made-up masternode flipping its address at
    /// the message rate made every flip such a change (and an audit row and a policy save on a node).
    /// </summary>
    public TimeSpan MinAddressChangeInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Every problem with these options, each naming the setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (HeartbeatInterval <= TimeSpan.Zero)
            errors.Add($"{nameof(HeartbeatInterval)} must be positive, got {HeartbeatInterval}.");
        if (MissedHeartbeatsBeforeOffline < 1)
            errors.Add($"{nameof(MissedHeartbeatsBeforeOffline)} must be at least 1, got {MissedHeartbeatsBeforeOffline}.");
        if (RemoveAfterOffline < TimeSpan.Zero)
            errors.Add($"{nameof(RemoveAfterOffline)} must not be negative, got {RemoveAfterOffline}.");
        if (MaxClockSkew <= TimeSpan.Zero)
            errors.Add($"{nameof(MaxClockSkew)} must be positive, got {MaxClockSkew}.");
        if (MaxMasternodes < 1)
            errors.Add($"{nameof(MaxMasternodes)} must be at least 1, got {MaxMasternodes}.");
        if (EvaluateInterval <= TimeSpan.Zero)
            errors.Add($"{nameof(EvaluateInterval)} must be positive, got {EvaluateInterval}.");
        if (MinAddressChangeInterval < TimeSpan.Zero)
            errors.Add($"{nameof(MinAddressChangeInterval)} must not be negative, got {MinAddressChangeInterval}.");
        return errors;
    }
}
