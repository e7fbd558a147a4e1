namespace TimeCoin.Core.Chain;

/// <summary>Why a block was refused. Each validation rule has its own reason.</summary>
public enum BlockRejectionReason
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>The header's network magic is not this network's.</summary>
    WrongNetwork,

    /// <summary>The header's version is not one this node understands.</summary>
    UnsupportedVersion,

    /// <summary>The previous hash is not the parent's hash (or the block claims to be a second genesis).</summary>
    LinkMismatch,

    /// <summary>The height is not the parent's height + 1.</summary>
    WrongHeight,

    /// <summary>The slot is not greater than the parent's slot.</summary>
    SlotNotIncreasing,

    /// <summary>The timestamp is not <c>genesis_time + slot * block_time</c>.</summary>
    TimestampMismatch,

    /// <summary>The timestamp is further ahead of the local clock than the tolerance.</summary>
    TooFarInFuture,

    /// <summary>The producer is not the federation member scheduled for the slot.</summary>
    WrongProducer,

    /// <summary>The block has more transactions than allowed.</summary>
    TooManyTransactions,

    /// <summary>A transaction is larger than allowed.</summary>
    TransactionTooLarge,

    /// <summary>The encoded block is larger than allowed.</summary>
    TooLarge,

    /// <summary>The merkle root does not match the payload.</summary>
    MerkleMismatch,

    /// <summary>The producer's signature does not verify.</summary>
    BadSignature,

    /// <summary>Accepting the block's branch would need a reorganization deeper than the maximum reorg depth.</summary>
    ReorgTooDeep,
}
