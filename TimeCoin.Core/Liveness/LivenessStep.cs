namespace TimeCoin.Core.Liveness;

/// <summary>What one <see cref="PingState.Poll"/> asks of its driver.</summary>
/// <param name="Decision">Keep or disconnect, with the reason.</param>
/// <param name="PingNonce">The nonce of a ping to send now, or null when none is due (always null on disconnect).</param>
/// <param name="NextDeadline">When to poll again (the driver may poll earlier, e.g. to bound how late a class change applies).</param>
public readonly record struct LivenessStep(LivenessDecision Decision, ulong? PingNonce, DateTimeOffset NextDeadline);
