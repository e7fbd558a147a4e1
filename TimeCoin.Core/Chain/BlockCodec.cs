using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// The canonical binary encoding of headers and blocks. All integers are little-endian and fixed width.
/// <para>Header (192 bytes): version u32 ‖ network magic u32 ‖ height i64 (never negative) ‖ previous hash 32 ‖
/// merkle root 32 ‖ slot u64 ‖ timestamp i64 ‖ producer 32 ‖ signature 64. The first 128 bytes are the unsigned
/// header, whose SHA-256d is the block hash.</para>
/// <para>Block: header ‖ transaction count u32 ‖ for each transaction: length u32 ‖ bytes.</para>
/// <para>Decoding checks every length against <see cref="BlockLimits"/> and against the bytes actually present
/// before allocating anything, and reports malformed input as an error string; it never throws on bad input.</para>
/// </summary>
public static class BlockCodec
{
    /// <summary>Size of the header encoding without the signature.</summary>
    public const int UnsignedHeaderSize = 128;

    /// <summary>Size of the full header encoding.</summary>
    public const int HeaderSize = UnsignedHeaderSize + PublicKey.SignatureSize;

    /// <summary>Size of a length or count prefix.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>Size of an encoded block with no transactions.</summary>
    public const int EmptyBlockSize = HeaderSize + LengthPrefixSize;

    /// <summary>Encodes a header (192 bytes).</summary>
    public static byte[] EncodeHeader(BlockHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var bytes = new byte[HeaderSize];
        header.WriteTo(bytes);
        return bytes;
    }

    /// <summary>Writes a header's 192 bytes into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">Destination shorter than <see cref="HeaderSize"/>.</exception>
    public static void WriteHeader(BlockHeader header, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (destination.Length < HeaderSize)
            throw new ArgumentException($"Need {HeaderSize} bytes of room.", nameof(destination));
        header.WriteTo(destination);
    }

    /// <summary>Encodes a block into a new array of exactly <see cref="Block.EncodedSize"/> bytes.</summary>
    /// <exception cref="ArgumentException">The block is larger than <see cref="BlockLimits.HardMaxBlockBytes"/>.</exception>
    public static byte[] Encode(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.EncodedSize > BlockLimits.HardMaxBlockBytes)
            throw new ArgumentException($"The block encodes to {block.EncodedSize} bytes, over the hard limit {BlockLimits.HardMaxBlockBytes}.", nameof(block));
        var bytes = new byte[block.EncodedSize];
        Write(block, bytes);
        return bytes;
    }

    /// <summary>Writes a block into <paramref name="destination"/> and returns the number of bytes written.</summary>
    /// <exception cref="ArgumentException">Destination shorter than <see cref="Block.EncodedSize"/>.</exception>
    public static int Write(Block block, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (destination.Length < block.EncodedSize)
            throw new ArgumentException($"Need {block.EncodedSize} bytes of room.", nameof(destination));
        block.Header.WriteTo(destination);
        var transactions = block.Transactions;
        int offset = HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)transactions.Count);
        offset += LengthPrefixSize;
        for (int i = 0; i < transactions.Count; i++)
        {
            var tx = transactions[i].Span;
            BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)tx.Length);
            offset += LengthPrefixSize;
            tx.CopyTo(destination[offset..]);
            offset += tx.Length;
        }
        return offset;
    }

    /// <summary>Decodes a header from exactly <see cref="HeaderSize"/> bytes.</summary>
    /// <returns>True with <paramref name="header"/> set, or false with <paramref name="error"/> saying what was wrong.</returns>
    public static bool TryDecodeHeader(ReadOnlySpan<byte> data,
        [NotNullWhen(true)] out BlockHeader? header, [NotNullWhen(false)] out string? error)
    {
        if (data.Length != HeaderSize)
        {
            header = null;
            error = $"A block header is {HeaderSize} bytes, got {data.Length}.";
            return false;
        }
        return TryReadHeader(data, out header, out error);
    }

    /// <summary>Decodes a block, checking sizes against <see cref="BlockLimits.Default"/>.</summary>
    /// <returns>True with <paramref name="block"/> set, or false with <paramref name="error"/> saying what was wrong.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data,
        [NotNullWhen(true)] out Block? block, [NotNullWhen(false)] out string? error) =>
        TryDecode(data, BlockLimits.Default, out block, out error);

    /// <summary>
    /// Decodes a block, checking the total size, the transaction count and every transaction's size against
    /// <paramref name="limits"/> (use <see cref="ChainParameters.Limits"/>) before allocating. The decoded block keeps one
    /// copy of <paramref name="data"/> as its <see cref="Block.Encoded"/> form, and its transactions are slices of it.
    /// </summary>
    /// <returns>True with <paramref name="block"/> set, or false with <paramref name="error"/> saying what was wrong.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data, BlockLimits limits,
        [NotNullWhen(true)] out Block? block, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        block = null;
        if (data.Length > limits.MaxBlockBytes)
        {
            error = $"The block is {data.Length} bytes, over the limit of {limits.MaxBlockBytes}.";
            return false;
        }
        if (data.Length < EmptyBlockSize)
        {
            error = $"Truncated block: {data.Length} bytes, a block is at least {EmptyBlockSize}.";
            return false;
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data[HeaderSize..]);
        if (count > (uint)limits.MaxTransactions)
        {
            error = $"The transaction count {count} is over the limit of {limits.MaxTransactions}.";
            return false;
        }
        var payload = data[EmptyBlockSize..];
        if ((long)count * LengthPrefixSize > payload.Length)
        {
            error = $"Truncated block: {count} transactions announced but only {payload.Length} payload bytes.";
            return false;
        }

        // First pass: check every length without allocating.
        int offset = 0;
        for (uint i = 0; i < count; i++)
        {
            if (payload.Length - offset < LengthPrefixSize)
            {
                error = $"Truncated block: transaction {i} has no length prefix.";
                return false;
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(payload[offset..]);
            offset += LengthPrefixSize;
            if (length > (uint)limits.MaxTransactionBytes)
            {
                error = $"Transaction {i} is {length} bytes, over the limit of {limits.MaxTransactionBytes}.";
                return false;
            }
            if (length > (uint)(payload.Length - offset))
            {
                error = $"Truncated block: transaction {i} announces {length} bytes but only {payload.Length - offset} remain.";
                return false;
            }
            offset += (int)length;
        }
        if (offset != payload.Length)
        {
            error = $"{payload.Length - offset} unexpected bytes after the last transaction.";
            return false;
        }
        if (!TryReadHeader(data[..HeaderSize], out var header, out error))
            return false;

        // Second pass: one copy of the whole block, kept as its encoding; transactions are slices of it.
        var encoded = data.ToArray();
        var transactions = new ReadOnlyMemory<byte>[count];
        offset = EmptyBlockSize;
        for (int i = 0; i < transactions.Length; i++)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(encoded.AsSpan(offset));
            offset += LengthPrefixSize;
            transactions[i] = new ReadOnlyMemory<byte>(encoded, offset, length);
            offset += length;
        }
        block = new Block(header, transactions, encoded);
        return true;
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> data,
        [NotNullWhen(true)] out BlockHeader? header, [NotNullWhen(false)] out string? error)
    {
        header = null;
        long height = BinaryPrimitives.ReadInt64LittleEndian(data[8..]);
        if (height < 0)
        {
            error = $"The header height {height} is negative.";
            return false;
        }
        header = new BlockHeader(
            version: BinaryPrimitives.ReadUInt32LittleEndian(data),
            networkMagic: BinaryPrimitives.ReadUInt32LittleEndian(data[4..]),
            height: height,
            previousHash: new Hash256(data.Slice(16, Hash256.Size)),
            merkleRoot: new Hash256(data.Slice(48, Hash256.Size)),
            slot: BinaryPrimitives.ReadUInt64LittleEndian(data[80..]),
            timestamp: BinaryPrimitives.ReadInt64LittleEndian(data[88..]),
            producer: new PublicKey(data.Slice(96, PublicKey.Size)),
            signature: data.Slice(UnsignedHeaderSize, PublicKey.SignatureSize));
        error = null;
        return true;
    }
}
