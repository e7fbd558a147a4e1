namespace TimeCoin.Core.Policy;

/// <summary>
/// Where a whitelist entry came from. Entries from different sources are kept apart: the same range may have one
/// entry per source, and removing one source's entry leaves the others.
/// </summary>
public enum WhitelistSource
{
    /// <summary>The operator's configuration file (manual).</summary>
    Config,

    /// <summary>The discovery API; replaced as a whole at each refresh (automatic, capped).</summary>
    Discovery,

    /// <summary>A masternode known to the heartbeat registry (automatic, capped).</summary>
    Masternode,

    /// <summary>An operator command over JSON-RPC (manual).</summary>
    Rpc,
}
