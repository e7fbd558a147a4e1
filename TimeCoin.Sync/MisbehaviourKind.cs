namespace TimeCoin.Sync;

/// <summary>Why a peer is reported for misbehaviour during sync.</summary>
public enum MisbehaviourKind
{
    /// <summary>Headers that do not link to each other or to any block we know.</summary>
    NonLinkingChain,

    /// <summary>A block other than the one requested at that height.</summary>
    UnexpectedBlock,

    /// <summary>A block that failed validation.</summary>
    InvalidBlock,

    /// <summary>A fork branch that failed validation.</summary>
    InvalidBranch,

    /// <summary>A claimed height (handshake, announcement, pong) above everything we know, not proved by headers in time.</summary>
    UnbackedHeightClaim,
}
