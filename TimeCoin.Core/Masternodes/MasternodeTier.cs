namespace TimeCoin.Core.Masternodes;

/// <summary>
/// A masternode's collateral tier, as announced. The numeric values are the wire encoding and must not change.
/// </summary>
public enum MasternodeTier : byte
{
    /// <summary>No collateral.</summary>
    Free = 0,

    /// <summary>Bronze collateral tier.</summary>
    Bronze = 1,

    /// <summary>Silver collateral tier.</summary>
    Silver = 2,

    /// <summary>Gold collateral tier.</summary>
    Gold = 3,
}
