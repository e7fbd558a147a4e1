using System.Buffers;
using System.Buffers.Binary;
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

    /// <summary>Writes one complete frame into <paramref name="destination"/> (no flush).</summary>
    public static void Write(IBufferWriter<byte> destination, NetworkMagic magic, MessageType type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var span = destination.GetSpan(HeaderSize + payload.Length);
        WriteHeader(span, magic, (ushort)type, (uint)payload.Length, ComputeChecksum(payload));
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
