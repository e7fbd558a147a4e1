namespace TimeCoin.Node.Storage;

/// <summary>One persisted audit record of a whitelist or ban change.</summary>
/// <param name="At">When the change happened.</param>
/// <param name="Source">Who caused it (config, discovery, masternode, rpc, automatic).</param>
/// <param name="Action">What happened (whitelist-add, whitelist-remove, ban, unban, ...).</param>
/// <param name="Subject">The IP range it applies to.</param>
/// <param name="Reason">The reason given.</param>
public sealed record AuditRow(DateTimeOffset At, string Source, string Action, string Subject, string Reason);
