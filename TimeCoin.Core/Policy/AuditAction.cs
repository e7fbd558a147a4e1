namespace TimeCoin.Core.Policy;

/// <summary>The change an <see cref="AuditRecord"/> describes.</summary>
public enum AuditAction
{
    /// <summary>A whitelist entry was created.</summary>
    WhitelistAdded,

    /// <summary>An existing whitelist entry got new permissions or a new reason.</summary>
    WhitelistUpdated,

    /// <summary>A whitelist entry was removed.</summary>
    WhitelistRemoved,

    /// <summary>A whitelist entry was not stored because the automatic-entry cap was reached.</summary>
    WhitelistDropped,

    /// <summary>A ban was placed or extended.</summary>
    Banned,

    /// <summary>A ban was removed by an operator.</summary>
    Unbanned,

    /// <summary>An automatic ban was lifted because a manual no-ban whitelist entry covers it.</summary>
    BanLifted,
}
