using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// The narrow, read-only view of our own chain that sync planning needs. The node's chain state implements it;
/// tests use an in-memory list. Every member describes the <em>active</em> chain (side branches are invisible).
/// </summary>
public interface IChainView
{
    /// <summary>Hash of the tip of our active chain.</summary>
    Hash256 TipHash { get; }

    /// <summary>Height of the tip of our active chain (genesis is height 0).</summary>
    long Height { get; }

    /// <summary>True when <paramref name="hash"/> is a block of our active chain; its height is returned.</summary>
    bool TryGetHeight(Hash256 hash, out long height);

    /// <summary>Hash of the active-chain block at <paramref name="height"/>, or null when out of range.</summary>
    Hash256? HashAtHeight(long height);

    /// <summary>
    /// A block locator of the active chain: hashes from the tip backwards, dense near the tip and then
    /// exponentially spaced, always ending with genesis.
    /// </summary>
    IReadOnlyList<Hash256> GetLocator();

    /// <summary>
    /// The most active-chain blocks a reorganization may disconnect (the chain's own rule); a fork deeper than this can
    /// never be adopted, so fork resolution gives up on it instead of fetching it. Unbounded unless the chain says so.
    /// </summary>
    int MaxReorgDepth => int.MaxValue;
}
