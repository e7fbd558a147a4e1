namespace TimeCoin.Core.Chain;

/// <summary>
/// A block: a header and an ordered payload of opaque transactions. The transaction bytes are referenced, not
/// copied; treat them as immutable once a block is built.
/// </summary>
public sealed class Block
{
    private readonly ReadOnlyMemory<byte>[] _transactions;

    /// <summary>Creates a block from its header and payload.</summary>
    public Block(BlockHeader header, IReadOnlyList<ReadOnlyMemory<byte>> transactions)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        Header = header;
        _transactions = new ReadOnlyMemory<byte>[transactions.Count];
        long size = BlockCodec.EmptyBlockSize;
        for (int i = 0; i < _transactions.Length; i++)
        {
            _transactions[i] = transactions[i];
            size += BlockCodec.LengthPrefixSize + _transactions[i].Length;
        }
        EncodedSize = size;
    }

    /// <summary>Creates a block from its header and payload arrays.</summary>
    public Block(BlockHeader header, IReadOnlyList<byte[]> transactions)
        : this(header, ToMemories(transactions))
    {
    }

    /// <summary>The header.</summary>
    public BlockHeader Header { get; }

    /// <summary>The payload items in order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Transactions => _transactions;

    /// <summary>The block's hash (the header's hash).</summary>
    public Crypto.Hash256 Hash => Header.Hash;

    /// <summary>Size in bytes of <see cref="BlockCodec.Encode"/>'s output for this block.</summary>
    public long EncodedSize { get; }

    private static ReadOnlyMemory<byte>[] ToMemories(IReadOnlyList<byte[]> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var result = new ReadOnlyMemory<byte>[transactions.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = transactions[i] ?? throw new ArgumentException($"Transaction {i} is null.", nameof(transactions));
        return result;
    }
}
