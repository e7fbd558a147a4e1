using System.Runtime.CompilerServices;

namespace TimeCoin.Core.Chain;

/// <summary>
/// A block: a header and an ordered payload of opaque transactions. The transaction bytes are referenced, not
/// copied; treat them as immutable once a block is built.
/// </summary>
public sealed class Block
{
    private readonly ReadOnlyMemory<byte>[] _transactions;
    private byte[]? _encoded;
    private StrongBox<Crypto.Hash256>? _payloadRoot;

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

    /// <summary>A block decoded from <paramref name="encoded"/>, whose transactions are slices of it: the bytes are kept
    /// as the block's <see cref="Encoded"/> form, so storing or forwarding it does not encode it again.</summary>
    internal Block(BlockHeader header, ReadOnlyMemory<byte>[] transactions, byte[] encoded)
    {
        Header = header;
        _transactions = transactions;
        _encoded = encoded;
        EncodedSize = encoded.Length;
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

    /// <summary>
    /// The canonical encoding (<see cref="BlockCodec.Encode"/>), made once on first use and kept; a block decoded by
    /// <see cref="BlockCodec"/> keeps the bytes it was decoded from. Read-only: it is shared.
    /// </summary>
    /// <exception cref="ArgumentException">The block is larger than <see cref="BlockLimits.HardMaxBlockBytes"/>.</exception>
    public ReadOnlyMemory<byte> Encoded => EncodedArray;

    /// <summary>The kept encoding as an array (internal: callers outside Core get <see cref="Encoded"/>, read-only).</summary>
    internal byte[] EncodedArray
    {
        get
        {
            var encoded = Volatile.Read(ref _encoded);
            if (encoded is null)
            {
                encoded = BlockCodec.Encode(this);
                Volatile.Write(ref _encoded, encoded);
            }
            return encoded;
        }
    }

    /// <summary>
    /// The merkle root of the payload (<see cref="MerkleTree.ComputeRoot(IReadOnlyList{ReadOnlyMemory{byte}})"/>),
    /// computed once on first use and kept; validation compares it with <see cref="BlockHeader.MerkleRoot"/>.
    /// Thread-safe: two threads may both compute it, with the same result.
    /// </summary>
    public Crypto.Hash256 PayloadMerkleRoot
    {
        get
        {
            var root = Volatile.Read(ref _payloadRoot);
            if (root is null)
            {
                root = new StrongBox<Crypto.Hash256>(MerkleTree.ComputeRoot(_transactions));
                Volatile.Write(ref _payloadRoot, root);
            }
            return root.Value;
        }
    }

    private static ReadOnlyMemory<byte>[] ToMemories(IReadOnlyList<byte[]> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var result = new ReadOnlyMemory<byte>[transactions.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = transactions[i] ?? throw new ArgumentException($"Transaction {i} is null.", nameof(transactions));
        return result;
    }
}
