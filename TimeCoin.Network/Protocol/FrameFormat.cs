using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// The frame layout: magic (4 bytes LE) | message type (2 bytes LE) | payload length (4 bytes LE) |
/// checksum (first 4 bytes of SHA-256d of the payload) | payload.
/// </summary>
internal static class FrameFormat
{
    /// <summary>Bytes in a frame header.</summary>
    public const int HeaderSize = 14;

    /// <summary>Default hard maximum payload length: 4 MiB.</summary>
    public const int DefaultMaxPayloadLength = 4 * 1024 * 1024;

    /// <summary>Offset of the message type in the header.</summary>
    public const int TypeOffset = 4;

    /// <summary>Offset of the payload length in the header.</summary>
    public const int LengthOffset = 6;

    /// <summary>Offset of the checksum in the header.</summary>
    public const int ChecksumOffset = 10;

    /// <summary>The checksum of <paramref name="payload"/>: the first 4 bytes of its SHA-256d, read little-endian.</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> payload)
    {
        Span<byte> digest = stackalloc byte[Hash256.Size];
        Hash256.DoubleSha256(payload).WriteTo(digest);
        return BinaryPrimitives.ReadUInt32LittleEndian(digest);
    }

    /// <summary>
    /// The checksum of <paramref name="payload"/> (as <see cref="ComputeChecksum(ReadOnlySpan{byte})"/>) computed with
    /// <paramref name="sha256"/>, a SHA-256 <see cref="IncrementalHash"/> the caller keeps for many frames and uses from
    /// one thread at a time. It is left reset. A one-shot hash sets up and frees an OpenSSL digest context per call, and
    /// that fixed cost was more than the hashing of a typical frame. Short inputs skip OpenSSL altogether
    /// (<see cref="Sha256Small"/>): the second pass (32 bytes) always, the first for a payload of at most
    /// <see cref="Sha256Small.MaxInput"/> bytes.
    /// </summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> payload, IncrementalHash sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        Span<byte> digest = stackalloc byte[Hash256.Size];
        if (payload.Length <= Sha256Small.MaxInput)
        {
            Sha256Small.Hash(payload, digest);
        }
        else
        {
            sha256.AppendData(payload);
            sha256.GetHashAndReset(digest);
        }
        Sha256Small.Hash(digest, digest);
        return BinaryPrimitives.ReadUInt32LittleEndian(digest);
    }

    /// <summary>A SHA-256 hasher for <see cref="ComputeChecksum(ReadOnlySpan{byte}, IncrementalHash)"/>.</summary>
    public static IncrementalHash CreateChecksumHasher() => IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Writes one complete frame into <paramref name="destination"/> (no flush).</summary>
    /// <param name="destination">Where the frame goes.</param>
    /// <param name="magic">The network's magic.</param>
    /// <param name="type">The message type.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="sha256">
    /// A reusable hasher for the checksum (see <see cref="ComputeChecksum(ReadOnlySpan{byte}, IncrementalHash)"/>), or
    /// null for a one-shot hash.
    /// </param>
    public static void Write(IBufferWriter<byte> destination, NetworkMagic magic, MessageType type, ReadOnlySpan<byte> payload, IncrementalHash? sha256 = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var span = destination.GetSpan(HeaderSize + payload.Length);
        uint checksum = sha256 is null ? ComputeChecksum(payload) : ComputeChecksum(payload, sha256);
        WriteHeader(span, magic, (ushort)type, (uint)payload.Length, checksum);
        payload.CopyTo(span[HeaderSize..]);
        destination.Advance(HeaderSize + payload.Length);
    }

    /// <summary>Writes a header with the given raw field values (tests use it to build malformed frames).</summary>
    public static void WriteHeader(Span<byte> destination, NetworkMagic magic, ushort type, uint payloadLength, uint checksum)
    {
        if (destination.Length < HeaderSize)
            throw new ArgumentException($"A frame header needs {HeaderSize} bytes.", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, magic.Value);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[TypeOffset..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[LengthOffset..], payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[ChecksumOffset..], checksum);
    }

    /// <summary>One complete frame as a new array.</summary>
    public static byte[] ToArray(NetworkMagic magic, MessageType type, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(HeaderSize + payload.Length);
        Write(buffer, magic, type, payload);
        return buffer.WrittenSpan.ToArray();
    }
}
