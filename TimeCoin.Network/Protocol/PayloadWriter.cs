using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>Little-endian payload encoder used by <see cref="MessageCodec"/>.</summary>
internal sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public void U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Hash(Hash256 hash)
    {
        hash.WriteTo(_buffer.GetSpan(Hash256.Size));
        _buffer.Advance(Hash256.Size);
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>u32 length, then the bytes.</summary>
    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        U32((uint)bytes.Length);
        _buffer.Write(bytes);
    }

    /// <summary>u16 length, then UTF-8.</summary>
    public void String(string value, string field)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > ProtocolLimits.MaxStringBytes)
            throw new ArgumentException($"{field} is {length} UTF-8 bytes; the maximum is {ProtocolLimits.MaxStringBytes}.");
        U16((ushort)length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    /// <summary>u32 count after checking the bound.</summary>
    public void Count(int count, int max, string field)
    {
        if (count > max)
            throw new ArgumentException($"{field} has {count} items; the maximum is {max}.");
        U32((uint)count);
    }

    /// <summary>16-byte IPv6 address (IPv4 mapped) and u16 port.</summary>
    public void EndPoint(IPEndPoint endpoint)
    {
        var address = endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? endpoint.Address.MapToIPv6()
            : endpoint.Address;
        if (!address.TryWriteBytes(_buffer.GetSpan(16), out int written) || written != 16)
            throw new ArgumentException($"Cannot encode address {endpoint.Address}.");
        _buffer.Advance(16);
        U16((ushort)endpoint.Port);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>What was written since the last <see cref="Reset"/> (valid until the next write or reset).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    /// <summary>The buffer's size now (a writer kept for reuse is dropped once a large message grew it).</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>Empties the writer for the next message (the buffer is kept).</summary>
    public void Reset() => _buffer.ResetWrittenCount();
}
