using System.Buffers.Binary;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class BlockCodecTests
{
    private readonly TestNetwork _net = new();

    private Block SampleBlock() => _net.Child(_net.Genesis, 1, [1, 2, 3], [], new byte[1024]);

    [Fact]
    public void Encode_ThenTryDecode_RoundTripsEveryField()
    {
        var block = SampleBlock();

        var bytes = BlockCodec.Encode(block);
        Assert.True(BlockCodec.TryDecode(bytes, out var decoded, out var error), error);

        Assert.Equal(block.EncodedSize, bytes.Length);
        var (a, b) = (block.Header, decoded.Header);
        Assert.Equal(a.Version, b.Version);
        Assert.Equal(a.NetworkMagic, b.NetworkMagic);
        Assert.Equal(a.Height, b.Height);
        Assert.Equal(a.PreviousHash, b.PreviousHash);
        Assert.Equal(a.MerkleRoot, b.MerkleRoot);
        Assert.Equal(a.Slot, b.Slot);
        Assert.Equal(a.Timestamp, b.Timestamp);
        Assert.Equal(a.Producer, b.Producer);
        Assert.Equal(a.Signature.ToArray(), b.Signature.ToArray());
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(block.Transactions.Select(t => t.ToArray()), decoded.Transactions.Select(t => t.ToArray()));
        Assert.True(b.HasValidSignature());
        Assert.Equal(bytes, BlockCodec.Encode(decoded));
    }

    [Fact]
    public void TryDecode_ValidBlock_KeepsACopyOfTheDecodedBytesAsItsEncoding()
    {
        var bytes = BlockCodec.Encode(SampleBlock());
        Assert.True(BlockCodec.TryDecode(bytes, out var decoded, out var error), error);

        Assert.Equal(bytes, decoded.Encoded.ToArray());
        bytes[^1] ^= 0xff; // a copy: the caller's buffer (a network frame) may be reused
        Assert.NotEqual(bytes[^1], decoded.Encoded.Span[^1]);
        Assert.Equal(decoded.Header.MerkleRoot, decoded.PayloadMerkleRoot);
    }

    [Fact]
    public void Encoded_BuiltBlock_IsTheCanonicalEncodingMadeOnce()
    {
        var block = SampleBlock();
        Assert.Equal(BlockCodec.Encode(block), block.Encoded.ToArray());
        Assert.True(block.Encoded.Span == block.Encoded.Span); // the same kept bytes each time, not a new encoding
    }

    [Fact]
    public void EncodeHeader_ThenTryDecodeHeader_SameHashAndSignature()
    {
        var header = SampleBlock().Header;

        var bytes = BlockCodec.EncodeHeader(header);
        Assert.True(BlockCodec.TryDecodeHeader(bytes, out var decoded, out var error), error);

        Assert.Equal(BlockCodec.HeaderSize, bytes.Length);
        Assert.Equal(header.Hash, decoded.Hash);
        Assert.Equal(header.Signature.ToArray(), decoded.Signature.ToArray());
    }

    [Fact]
    public void Hash_IsDoubleSha256OfFirst128Bytes_AndIgnoresSignature()
    {
        var header = SampleBlock().Header;
        var bytes = BlockCodec.EncodeHeader(header);

        Assert.Equal(Hash256.DoubleSha256(bytes.AsSpan(0, BlockCodec.UnsignedHeaderSize)), header.Hash);
        Assert.Equal(header.Hash, header.WithSignature(new byte[64]).Hash);
    }

    [Fact]
    public void TryDecode_EmptyPayload_RoundTrips()
    {
        var block = _net.Child(_net.Genesis);

        Assert.True(BlockCodec.TryDecode(BlockCodec.Encode(block), out var decoded, out _));
        Assert.Empty(decoded.Transactions);
        Assert.Equal(BlockCodec.EmptyBlockSize, BlockCodec.Encode(block).Length);
    }

    [Fact]
    public void TryDecode_EveryTruncation_FailsWithError()
    {
        var bytes = BlockCodec.Encode(SampleBlock());

        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(BlockCodec.TryDecode(bytes.AsSpan(0, length), out var block, out var error));
            Assert.Null(block);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void TryDecode_TrailingBytes_FailsNamingThem()
    {
        var bytes = BlockCodec.Encode(SampleBlock());

        Assert.False(BlockCodec.TryDecode([.. bytes, 0], out _, out var error));
        Assert.Contains("unexpected bytes", error);
    }

    [Fact]
    public void TryDecode_RandomGarbage_NeverThrows()
    {
        var random = new Random(12345);
        var valid = BlockCodec.Encode(SampleBlock());
        for (int i = 0; i < 2000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 2048)];
                random.NextBytes(data);
            }
            else
            {
                data = (byte[])valid.Clone();
                for (int flips = 0; flips < 4; flips++)
                    data[random.Next(data.Length)] = (byte)random.Next(256);
            }

            var ok = BlockCodec.TryDecode(data, out var block, out var error);
            Assert.True(ok ? block is not null : error is not null);
            BlockCodec.TryDecodeHeader(data.AsSpan(0, Math.Min(data.Length, BlockCodec.HeaderSize)), out _, out _);
        }
    }

    [Fact]
    public void TryDecode_OverBlockSizeLimit_FailsBeforeParsing()
    {
        var limits = new BlockLimits(maxBlockBytes: 1000, maxTransactions: 10, maxTransactionBytes: 500);
        var bytes = BlockCodec.Encode(_net.Child(_net.Genesis, 1, new byte[400], new byte[400]));

        Assert.False(BlockCodec.TryDecode(bytes, limits, out _, out var error));
        Assert.Contains("over the limit of 1000", error);
    }

    [Fact]
    public void TryDecode_TransactionCountOverLimit_Fails()
    {
        var limits = new BlockLimits(maxBlockBytes: 10_000, maxTransactions: 2, maxTransactionBytes: 500);
        var bytes = BlockCodec.Encode(_net.Child(_net.Genesis, 1, [1], [2], [3]));

        Assert.False(BlockCodec.TryDecode(bytes, limits, out _, out var error));
        Assert.Contains("transaction count 3", error);
    }

    [Fact]
    public void TryDecode_TransactionOverLimit_Fails()
    {
        var limits = new BlockLimits(maxBlockBytes: 10_000, maxTransactions: 10, maxTransactionBytes: 100);
        var bytes = BlockCodec.Encode(_net.Child(_net.Genesis, 1, [1], new byte[101]));

        Assert.False(BlockCodec.TryDecode(bytes, limits, out _, out var error));
        Assert.Contains("Transaction 1 is 101 bytes", error);
    }

    [Fact]
    public void TryDecode_HugeAnnouncedCount_FailsWithoutAllocating()
    {
        var bytes = BlockCodec.Encode(_net.Child(_net.Genesis));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(BlockCodec.HeaderSize), 40_000);

        Assert.False(BlockCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("40000 transactions announced", error);
    }

    [Fact]
    public void TryDecode_HugeAnnouncedTransactionLength_Fails()
    {
        var bytes = BlockCodec.Encode(_net.Child(_net.Genesis, 1, [1, 2, 3]));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(BlockCodec.EmptyBlockSize), uint.MaxValue);

        Assert.False(BlockCodec.TryDecode(bytes, out _, out var error));
        Assert.Contains("Transaction 0", error);
    }

    [Fact]
    public void TryDecodeHeader_NegativeHeight_Fails()
    {
        var bytes = BlockCodec.EncodeHeader(_net.Genesis);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), -1);

        Assert.False(BlockCodec.TryDecodeHeader(bytes, out _, out var error));
        Assert.Contains("negative", error);
    }

    [Fact]
    public void TryDecodeHeader_WrongLength_FailsNamingSizes()
    {
        Assert.False(BlockCodec.TryDecodeHeader(new byte[191], out _, out var error));
        Assert.Contains("192", error);
        Assert.Contains("191", error);
    }
}
