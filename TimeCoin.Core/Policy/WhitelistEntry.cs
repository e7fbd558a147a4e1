namespace TimeCoin.Core.Policy;

/// <summary>One whitelist entry: a range granted permissions by one source.</summary>
/// <param name="Range">The addresses it covers.</param>
/// <param name="Source">Who added it; one entry per (range, source).</param>
/// <param name="Permissions">What it grants.</param>
/// <param name="Reason">Why it was added, for operators and the audit trail.</param>
/// <param name="AddedAt">When it was first added.</param>
public sealed record WhitelistEntry(
    IpRange Range,
    WhitelistSource Source,
    PeerPermissions Permissions,
    string Reason,
    DateTimeOffset AddedAt);
