namespace TimeCoin.Core.Policy;

/// <summary>
/// The state of a <see cref="PeerPolicy"/>: whitelist entries, active bans and violation counters. Plain records
/// with <see cref="IpRange"/> and addresses written as text, so System.Text.Json serializes it as is.
/// </summary>
/// <param name="TakenAt">Policy clock time when taken.</param>
/// <param name="Whitelist">Every whitelist entry, ordered by range then source.</param>
/// <param name="Bans">Bans active at <paramref name="TakenAt"/>, ordered by range.</param>
/// <param name="Violations">Violation counters not yet reset, ordered by address.</param>
public sealed record PeerPolicySnapshot(
    DateTimeOffset TakenAt,
    IReadOnlyList<WhitelistEntry> Whitelist,
    IReadOnlyList<BanEntry> Bans,
    IReadOnlyList<ViolationCounter> Violations);
