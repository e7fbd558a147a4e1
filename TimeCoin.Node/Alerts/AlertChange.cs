namespace TimeCoin.Node.Alerts;

/// <summary>An alert was raised or cleared.</summary>
/// <param name="Alert">The alert (as it was when cleared).</param>
/// <param name="IsActive">True when it was raised, false when it cleared.</param>
/// <param name="At">When.</param>
/// <param name="Resolution">Why it cleared (null when raised).</param>
public sealed record AlertChange(NodeAlert Alert, bool IsActive, DateTimeOffset At, string? Resolution);
