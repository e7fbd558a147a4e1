namespace TimeCoin.Node.Alerts;

/// <summary>Timing of the <see cref="NodeAlertMonitor"/>.</summary>
public sealed record NodeAlertMonitorOptions
{
    /// <summary>How often the state-based conditions are evaluated (besides right after each disconnect). Default 5 s.</summary>
    public TimeSpan EvaluateInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After start, how long <see cref="AlertCodes.WhitelistEmpty"/> and <see cref="AlertCodes.NoWhitelistedPeerConnected"/>
    /// wait (discovery fills the whitelist and the first connections form in that time). Default 30 s.
    /// </summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="AlertCodes.NoBanPeerSevereViolation"/> stays after the last such violation. Default 1 h.</summary>
    public TimeSpan ViolationHold { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(EvaluateInterval, TimeSpan.Zero, nameof(EvaluateInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(StartupGrace, TimeSpan.Zero, nameof(StartupGrace));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ViolationHold, TimeSpan.Zero, nameof(ViolationHold));
    }
}
