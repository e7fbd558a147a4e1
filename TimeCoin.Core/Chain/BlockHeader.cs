using System.Buffers.Binary;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// An immutable block header. Its <see cref="Hash"/> is SHA-256d of the canonical 128-byte encoding of every field
/// except the signature (see <see cref="BlockCodec"/>), so the hash is fixed before the producer signs.
/// </summary>
public sealed class BlockHeader
{
    /// <summary>The block version this code produces and accepts.</summary>
    public const uint CurrentVersion = 1;

    private static ReadOnlySpan<byte> SigningTag => "TIMECOIN-BLOCK-HEADER-V1"u8;

    private readonly byte[] _signature;

    /// <summary>Creates a header; the hash is computed once here.</summary>
    /// <param name="version">Block format version (<see cref="CurrentVersion"/>).</param>
    /// <param name="networkMagic">The network's magic number (<see cref="ChainParameters.NetworkMagic"/>).</param>
    /// <param name="height">Height: 0 for genesis, parent height + 1 otherwise.</param>
    /// <param name="previousHash">Hash of the parent header (<see cref="Hash256.Zero"/> for genesis).</param>
    /// <param name="merkleRoot">Merkle root of the payload (<see cref="MerkleTree.ComputeRoot(IReadOnlyList{ReadOnlyMemory{byte}})"/>).</param>
    /// <param name="slot">The producer schedule slot this block fills.</param>
    /// <param name="timestamp">Unix seconds; must equal the slot's start time.</param>
    /// <param name="producer">The federation member that produced (and signed) the block.</param>
    /// <param name="signature">64-byte Ed25519 signature of <see cref="SigningBytes"/> (all zero for genesis).</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative height.</exception>
    /// <exception cref="ArgumentException">Signature not 64 bytes.</exception>
    public BlockHeader(uint version, uint networkMagic, long height, Hash256 previousHash, Hash256 merkleRoot,
        ulong slot, long timestamp, PublicKey producer, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        if (signature.Length != PublicKey.SignatureSize)
            throw new ArgumentException($"A block signature is {PublicKey.SignatureSize} bytes, got {signature.Length}.", nameof(signature));
        Version = version;
        NetworkMagic = networkMagic;
        Height = height;
        PreviousHash = previousHash;
        MerkleRoot = merkleRoot;
        Slot = slot;
        Timestamp = timestamp;
        Producer = producer;
        _signature = signature.ToArray();
        Span<byte> unsigned = stackalloc byte[BlockCodec.UnsignedHeaderSize];
        WriteUnsigned(unsigned);
        Hash = Hash256.DoubleSha256(unsigned);
    }

    /// <summary>Block format version.</summary>
    public uint Version { get; }

    /// <summary>The network this block belongs to.</summary>
    public uint NetworkMagic { get; }

    /// <summary>Height in the chain (genesis is 0).</summary>
    public long Height { get; }

    /// <summary>Hash of the parent header.</summary>
    public Hash256 PreviousHash { get; }

    /// <summary>Merkle root of the payload.</summary>
    public Hash256 MerkleRoot { get; }

    /// <summary>The schedule slot this block fills.</summary>
    public ulong Slot { get; }

    /// <summary>Unix seconds: the start of <see cref="Slot"/>.</summary>
    public long Timestamp { get; }

    /// <summary>The producer's Ed25519 public key.</summary>
    public PublicKey Producer { get; }

    /// <summary>The producer's 64-byte signature over <see cref="SigningBytes"/>.</summary>
    public ReadOnlySpan<byte> Signature => _signature;

    /// <summary>SHA-256d of the canonical encoding without the signature (cached).</summary>
    public Hash256 Hash { get; }

    /// <summary>True for a header at height 0 with no parent.</summary>
    public bool IsGenesis => Height == 0 && PreviousHash.IsZero;

    /// <summary>
    /// The bytes the producer signs: the ASCII tag <c>TIMECOIN-BLOCK-HEADER-V1</c> followed by the 128-byte unsigned
    /// header encoding. The tag keeps a block signature from ever being valid as another kind of signed message made
    /// with the same masternode key.
    /// </summary>
    public byte[] SigningBytes()
    {
        var bytes = new byte[SigningLength];
        WriteSigningBytes(bytes);
        return bytes;
    }

    /// <summary>Length of <see cref="SigningBytes"/>.</summary>
    internal static int SigningLength => SigningTag.Length + BlockCodec.UnsignedHeaderSize;

    /// <summary>Writes <see cref="SigningBytes"/> into the first <see cref="SigningLength"/> bytes of <paramref name="destination"/>.</summary>
    internal void WriteSigningBytes(Span<byte> destination)
    {
        SigningTag.CopyTo(destination);
        WriteUnsigned(destination[SigningTag.Length..SigningLength]);
    }

    /// <summary>True when <see cref="Signature"/> is the producer's valid signature of <see cref="SigningBytes"/>.</summary>
    public bool HasValidSignature() => IsSignedBy(Producer);

    /// <summary>
    /// Verifies the signature with <paramref name="key"/>, which the caller has checked equals <see cref="Producer"/>.
    /// Passing the federation's long-lived key object reuses its imported curve point instead of importing the freshly
    /// decoded producer key for every block.
    /// </summary>
    internal bool IsSignedBy(PublicKey key)
    {
        Span<byte> bytes = stackalloc byte[SigningTag.Length + BlockCodec.UnsignedHeaderSize];
        SigningTag.CopyTo(bytes);
        WriteUnsigned(bytes[SigningTag.Length..]);
        return key.Verify(bytes, _signature);
    }

    /// <summary>A copy of this header with another signature (same hash).</summary>
    /// <exception cref="ArgumentException">Signature not 64 bytes.</exception>
    public BlockHeader WithSignature(ReadOnlySpan<byte> signature) =>
        new(Version, NetworkMagic, Height, PreviousHash, MerkleRoot, Slot, Timestamp, Producer, signature);

    /// <summary>A copy of this header signed by <paramref name="producerKey"/> (the producer field is not changed).</summary>
    public BlockHeader SignWith(KeyPair producerKey)
    {
        ArgumentNullException.ThrowIfNull(producerKey);
        return WithSignature(producerKey.Sign(SigningBytes()));
    }

    /// <summary>Writes the 128-byte unsigned canonical encoding (little-endian integers).</summary>
    internal void WriteUnsigned(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], NetworkMagic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Height);
        PreviousHash.WriteTo(destination[16..]);
        MerkleRoot.WriteTo(destination[48..]);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[80..], Slot);
        BinaryPrimitives.WriteInt64LittleEndian(destination[88..], Timestamp);
        Producer.Bytes.CopyTo(destination[96..]);
    }

    /// <summary>Writes the full 192-byte encoding (unsigned part then signature).</summary>
    internal void WriteTo(Span<byte> destination)
    {
        WriteUnsigned(destination);
        _signature.CopyTo(destination[BlockCodec.UnsignedHeaderSize..]);
    }

    /// <summary>Height, short hash and slot, for logs.</summary>
    public override string ToString() => $"#{Height} {Hash.ToString()[..16]} slot {Slot}";
}
