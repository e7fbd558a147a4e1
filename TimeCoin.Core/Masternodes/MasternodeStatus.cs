namespace TimeCoin.Core.Masternodes;

/// <summary>Whether a known masternode is currently heard from.</summary>
public enum MasternodeStatus
{
    /// <summary>A heartbeat or announcement arrived within the offline threshold.</summary>
    Active,

    /// <summary>No heartbeat for longer than the offline threshold; removed after a further period.</summary>
    Offline,
}
