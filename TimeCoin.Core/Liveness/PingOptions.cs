namespace TimeCoin.Core.Liveness;

/// <summary>
/// Timing of the per-connection ping/pong liveness check. The defaults are the earlier node's figures; a peer whose
/// whitelist entry grants lenient liveness (masternodes, configured peers) is held to the lenient limits and pinged
/// at the keep-alive interval instead.
/// </summary>
public sealed record PingOptions
{
    /// <summary>Options with every default.</summary>
    public static PingOptions Default { get; } = new();

    /// <summary>How often an ordinary peer is pinged. Default 30 s.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the connection's liveness driver waits before polling again after a poll failed (an exception from the
    /// state or a callback). The driver otherwise wakes only at the state's own deadlines (next ping, next pong timeout)
    /// and when told of a change of the peer's class, so this bounds nothing else. Default 10 s.
    /// </summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an ordinary peer has to answer a ping before it counts as missed. Default 90 s.</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Consecutive missed pongs after which an ordinary peer is disconnected. Default 3.</summary>
    public int MaxMissedPongs { get; init; } = 3;

    /// <summary>How long a lenient (whitelisted) peer has to answer a ping. Default 300 s.</summary>
    public TimeSpan LenientPongTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Consecutive missed pongs after which a lenient (whitelisted) peer is disconnected. Default 10.</summary>
    public int LenientMaxMissedPongs { get; init; } = 10;

    /// <summary>How often a lenient (whitelisted) peer is pinged (keep-alive). Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The pong timeout for the given class of peer.</summary>
    public TimeSpan PongTimeoutFor(bool lenient) => lenient ? LenientPongTimeout : PongTimeout;

    /// <summary>The missed-pong limit for the given class of peer.</summary>
    public int MaxMissedPongsFor(bool lenient) => lenient ? LenientMaxMissedPongs : MaxMissedPongs;

    /// <summary>The ping interval for the given class of peer.</summary>
    public TimeSpan PingIntervalFor(bool lenient) => lenient ? KeepAliveInterval : PingInterval;

    /// <summary>
    /// Every problem with these options, each naming the setting; empty when they are usable.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        RequirePositive(errors, nameof(PingInterval), PingInterval);
        RequirePositive(errors, nameof(CheckInterval), CheckInterval);
        RequirePositive(errors, nameof(PongTimeout), PongTimeout);
        RequirePositive(errors, nameof(LenientPongTimeout), LenientPongTimeout);
        RequirePositive(errors, nameof(KeepAliveInterval), KeepAliveInterval);
        if (MaxMissedPongs < 1)
            errors.Add($"{nameof(MaxMissedPongs)} must be at least 1, got {MaxMissedPongs}.");
        if (LenientMaxMissedPongs < 1)
            errors.Add($"{nameof(LenientMaxMissedPongs)} must be at least 1, got {LenientMaxMissedPongs}.");
        return errors;
    }

    private static void RequirePositive(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
            errors.Add($"{name} must be positive, got {value}.");
    }
}
