namespace TimeCoin.Core.Policy;

/// <summary>Who placed a ban. Config and rpc bans are manual; automatic bans come from the violation ladder.</summary>
public enum BanSource
{
    /// <summary>The operator's configuration (<c>blacklisted_peers</c>), normally permanent.</summary>
    Config,

    /// <summary>An operator command over JSON-RPC, permanent or timed.</summary>
    Rpc,

    /// <summary>The node itself, from accumulated violations.</summary>
    Automatic,
}
