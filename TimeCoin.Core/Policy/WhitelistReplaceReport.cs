namespace TimeCoin.Core.Policy;

/// <summary>What <see cref="PeerPolicy.ReplaceWhitelist"/> and <see cref="PeerPolicy.ReplaceWhitelistWithSpecs"/> changed.</summary>
/// <param name="Source">The source whose set was replaced.</param>
/// <param name="Added">Ranges that gained an entry.</param>
/// <param name="Removed">Ranges that lost their entry because they were not in the new set.</param>
/// <param name="DroppedByCap">Ranges in the new set that were not stored because the automatic-entry cap was reached.</param>
public sealed record WhitelistReplaceReport(
    WhitelistSource Source,
    IReadOnlyList<IpRange> Added,
    IReadOnlyList<IpRange> Removed,
    IReadOnlyList<IpRange> DroppedByCap);
