namespace TimeCoin.Core.Policy;

/// <summary>Who caused a whitelist or ban change recorded in an <see cref="AuditRecord"/>.</summary>
public enum AuditSource
{
    /// <summary>The operator's configuration.</summary>
    Config,

    /// <summary>The discovery API refresh.</summary>
    Discovery,

    /// <summary>The masternode registry.</summary>
    Masternode,

    /// <summary>An operator command over JSON-RPC.</summary>
    Rpc,

    /// <summary>The node itself (violation ladder).</summary>
    Automatic,
}
