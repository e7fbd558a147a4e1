namespace TimeCoin.Core.Masternodes;

/// <summary>
/// Why the registry refused a heartbeat or announcement. Suggested handling by the network layer: treat
/// <see cref="BadSignature"/> as a forged signature (a severe violation by the peer that sent it); the others are
/// normal in gossip (duplicates via several peers, clock drift, relays from other networks) and only mean
/// "do not relay".
/// </summary>
public enum MasternodeRejection
{
    /// <summary>Not rejected.</summary>
    None,

    /// <summary>The message names another network.</summary>
    WrongNetwork,

    /// <summary>The signature does not verify with the masternode's key: forged or tampered.</summary>
    BadSignature,

    /// <summary>The signed timestamp is further from our clock than the allowed skew (too old or in the future).</summary>
    TimestampOutOfRange,

    /// <summary>A heartbeat whose sequence is not above the last accepted one: a replay or a duplicate.</summary>
    SequenceNotIncreasing,

    /// <summary>A heartbeat from a key that has not been announced (or was removed): announce first.</summary>
    UnknownMasternode,

    /// <summary>An announcement not newer than the last accepted one for the same key: a replay or a duplicate.</summary>
    AnnouncementNotNewer,

    /// <summary>The registry holds <see cref="HeartbeatOptions.MaxMasternodes"/> masternodes already and none of them is
    /// offline (a new masternode pushes out an offline one when there is one).</summary>
    RegistryFull,
}
