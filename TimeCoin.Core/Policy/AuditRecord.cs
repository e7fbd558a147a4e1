namespace TimeCoin.Core.Policy;

/// <summary>One change to the whitelist or the bans, for the node to persist.</summary>
/// <param name="At">When it happened (policy clock).</param>
/// <param name="Source">Who caused it.</param>
/// <param name="Action">What changed.</param>
/// <param name="Range">The range concerned.</param>
/// <param name="Reason">The reason given with the change, or the policy's explanation.</param>
public sealed record AuditRecord(DateTimeOffset At, AuditSource Source, AuditAction Action, IpRange Range, string Reason);
