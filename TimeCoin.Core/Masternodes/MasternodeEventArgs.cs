using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>
/// A change in the <see cref="HeartbeatRegistry"/>: carries the masternode's key and address so a follower (the
/// peer policy's <c>masternode</c> whitelist source) can add or remove the matching entry.
/// </summary>
public sealed class MasternodeEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public MasternodeEventArgs(PublicKey key, string address, MasternodeTier tier, MasternodeStatus status, MasternodeStatus? previousStatus = null, string? previousAddress = null)
    {
        Key = key;
        Address = address;
        Tier = tier;
        Status = status;
        PreviousStatus = previousStatus;
        PreviousAddress = previousAddress;
    }

    /// <summary>The masternode's identity.</summary>
    public PublicKey Key { get; }

    /// <summary>Its address, "ip:port" (for a removal, the last known address).</summary>
    public string Address { get; }

    /// <summary>Its tier.</summary>
    public MasternodeTier Tier { get; }

    /// <summary>Its status after the change (for a removal, the status it had: offline).</summary>
    public MasternodeStatus Status { get; }

    /// <summary>For a status change, the status before it; otherwise null.</summary>
    public MasternodeStatus? PreviousStatus { get; }

    /// <summary>For an address change, the address before it; otherwise null.</summary>
    public string? PreviousAddress { get; }
}
