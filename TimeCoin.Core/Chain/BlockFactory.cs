using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>Builds signed blocks: used by producers, tests and benchmarks.</summary>
public static class BlockFactory
{
    /// <summary>
    /// Creates the child of <paramref name="parent"/> for <paramref name="slot"/>, with timestamp
    /// <c>genesis_time + slot * block_time</c>, the payload's merkle root, and <paramref name="producerKey"/>'s
    /// signature. It does not check that the key is the slot's scheduled producer nor the limits: the validator does.
    /// The transaction arrays are referenced, not copied.
    /// </summary>
    /// <exception cref="OverflowException">The slot's time does not fit in 64 bits.</exception>
    public static Block Create(ChainParameters parameters, BlockHeader parent, ulong slot, KeyPair producerKey, IReadOnlyList<byte[]> transactions)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(producerKey);
        ArgumentNullException.ThrowIfNull(transactions);
        var payload = new ReadOnlyMemory<byte>[transactions.Count];
        for (int i = 0; i < payload.Length; i++)
            payload[i] = transactions[i] ?? throw new ArgumentException($"Transaction {i} is null.", nameof(transactions));
        var unsigned = new BlockHeader(BlockHeader.CurrentVersion, parameters.NetworkMagic, parent.Height + 1, parent.Hash,
            MerkleTree.ComputeRoot(payload), slot, parameters.Schedule.SlotTimestamp(slot), producerKey.PublicKey,
            new byte[PublicKey.SignatureSize]);
        return new Block(unsigned.SignWith(producerKey), payload);
    }
}
