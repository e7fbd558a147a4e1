namespace TimeCoin.Core.Liveness;

/// <summary>
/// The outcome of <see cref="PingState.Check"/>: keep or disconnect, with a human-readable reason and the figures the
/// caller needs for its log line (a whitelisted peer's disconnect is logged at Critical).
/// </summary>
/// <param name="Action">Keep or disconnect.</param>
/// <param name="Reason">Why; for a disconnect it names the limit hit, e.g. "missed 3 pongs (limit 3, timeout 90 s)".</param>
/// <param name="MissedPongs">Consecutive missed pongs at the time of the check.</param>
/// <param name="Lenient">Whether the lenient (whitelisted) limits were applied.</param>
public readonly record struct LivenessDecision(LivenessAction Action, string Reason, int MissedPongs, bool Lenient)
{
    /// <summary>True when the connection should be closed.</summary>
    public bool ShouldDisconnect => Action == LivenessAction.Disconnect;
}
