namespace TimeCoin.Node.Production;

/// <summary>What <see cref="BlockProducer.TryProduceSlot"/> did with one slot.</summary>
public enum ProductionOutcome
{
    /// <summary>A block was built, accepted by the chain store (durable) and announced.</summary>
    Produced,

    /// <summary>The slot belongs to a federation member whose key this node does not hold.</summary>
    NotOurSlot,

    /// <summary>The slot was already handled by this producer, or the chain already has a block at or after it.</summary>
    SlotTaken,

    /// <summary>The slot started longer ago than the future tolerance; a block for it now would be stale.</summary>
    Stale,

    /// <summary>The slot has not started yet (more than the future tolerance away).</summary>
    TooEarly,

    /// <summary>No peer is connected and this is not a single-node devnet: producing alone would fork.</summary>
    NoPeers,

    /// <summary>A peer reports a longer chain: the node syncs before it produces.</summary>
    Behind,

    /// <summary>The chain store refused the block, or storing failed; the message says why.</summary>
    Failed,
}
