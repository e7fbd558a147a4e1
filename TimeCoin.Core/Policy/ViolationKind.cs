namespace TimeCoin.Core.Policy;

/// <summary>
/// A protocol violation by a peer. The first four and <see cref="UnbackedClaim"/> are ordinary (weight
/// <see cref="PeerPolicyOptions.OrdinaryViolationWeight"/>); the rest are severe
/// (<see cref="PeerPolicyOptions.SevereViolationWeight"/>), see <see cref="ViolationKinds.IsSevere"/>.
/// </summary>
public enum ViolationKind
{
    /// <summary>Sent a message kind faster than its rate limit allows (ordinary).</summary>
    RateLimitExceeded,

    /// <summary>Sent a message that does not decode (ordinary).</summary>
    MalformedMessage,

    /// <summary>Sent a block that fails validation (ordinary).</summary>
    InvalidBlock,

    /// <summary>Sent data we did not ask for (ordinary).</summary>
    UnrequestedData,

    /// <summary>Handshake named another network (severe).</summary>
    WrongNetwork,

    /// <summary>Handshake named another genesis block (severe).</summary>
    WrongGenesis,

    /// <summary>Relayed or produced a message whose signature does not verify (severe).</summary>
    ForgedSignature,

    /// <summary>Announced a frame larger than the protocol maximum (severe).</summary>
    OversizedFrame,

    /// <summary>Claimed a chain height that headers did not prove in time (ordinary).</summary>
    UnbackedClaim,
}
