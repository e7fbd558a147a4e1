namespace TimeCoin.Node.Config;

/// <summary>The collateral tier a masternode runs at (<c>[masternode] tier</c>).</summary>
public enum MasternodeTier
{
    /// <summary>No collateral.</summary>
    Free,

    /// <summary>Bronze collateral tier.</summary>
    Bronze,

    /// <summary>Silver collateral tier.</summary>
    Silver,

    /// <summary>Gold collateral tier.</summary>
    Gold,
}
