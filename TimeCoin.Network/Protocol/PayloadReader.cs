using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Unicode;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Little-endian payload decoder. The first failure is remembered in <see cref="Error"/> and every later read
/// returns a default value, so a decoder reads all fields and checks once at the end. Nothing here throws.
/// </summary>
internal ref struct PayloadReader
{
    private const int EndPointSize = 18;

    private ReadOnlySpan<byte> _remaining;
    private readonly ReadOnlyMemory<byte> _payload; // set when the reader may hand out slices (see Opaque)
    private readonly bool _sliceable;

    public PayloadReader(ReadOnlySpan<byte> payload)
    {
        _remaining = payload;
        Error = null;
    }

    /// <summary>
    /// A reader whose <see cref="Opaque"/> items are slices of <paramref name="payload"/> instead of copies; the caller
    /// guarantees that nothing changes those bytes while the items live (a received frame's payload: its own array).
    /// </summary>
    public PayloadReader(ReadOnlyMemory<byte> payload)
    {
        _remaining = payload.Span;
        _payload = payload;
        _sliceable = true;
        Error = null;
    }

    public string? Error { get; private set; }

    public readonly bool Failed => Error is not null;

    public readonly int Remaining => _remaining.Length;

    public byte U8(string field) => Take(1, field, out var s) ? s[0] : default;

    public bool Bool(string field)
    {
        byte value = U8(field);
        if (value > 1)
            Fail($"{field} is {value}, expected 0 or 1");
        return value == 1;
    }

    public ushort U16(string field) => Take(2, field, out var s) ? BinaryPrimitives.ReadUInt16LittleEndian(s) : default;

    public uint U32(string field) => Take(4, field, out var s) ? BinaryPrimitives.ReadUInt32LittleEndian(s) : default;

    public ulong U64(string field) => Take(8, field, out var s) ? BinaryPrimitives.ReadUInt64LittleEndian(s) : default;

    public long I64(string field) => Take(8, field, out var s) ? BinaryPrimitives.ReadInt64LittleEndian(s) : default;

    public Hash256 Hash(string field) => Take(Hash256.Size, field, out var s) ? new Hash256(s) : default;

    public ReadOnlySpan<byte> Raw(int length, string field) => Take(length, field, out var s) ? s : default;

    /// <summary>
    /// u32 length then bytes, the length at most <paramref name="maxLength"/> (when given) and at most what is left;
    /// both checked before copying.
    /// </summary>
    public byte[] Bytes(string field, int maxLength = int.MaxValue) =>
        TakeOpaque(field, maxLength, out var taken) ? taken.ToArray() : [];

    /// <summary>
    /// As <see cref="Bytes"/> (the same checks and errors), but a reader made over a payload's memory returns a slice
    /// of it instead of a copy.
    /// </summary>
    public ReadOnlyMemory<byte> Opaque(string field, int maxLength = int.MaxValue)
    {
        if (!TakeOpaque(field, maxLength, out var taken))
            return ReadOnlyMemory<byte>.Empty;
        if (!_sliceable)
            return taken.ToArray();
        int end = _payload.Length - _remaining.Length;
        return _payload.Slice(end - taken.Length, taken.Length);
    }

    private bool TakeOpaque(string field, int maxLength, out ReadOnlySpan<byte> taken)
    {
        taken = default;
        if (Failed)
            return false;
        if (_remaining.Length < 4)
        {
            // As Take would say it for a field named "<field> length" (that name is built only when it is needed).
            Fail($"{field} length needs 4 bytes but only {_remaining.Length} remain");
            return false;
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(_remaining);
        _remaining = _remaining[4..];
        if (length > (uint)maxLength)
        {
            Fail($"{field} is {length} bytes, the maximum is {maxLength}");
            return false;
        }
        if (length > (uint)_remaining.Length)
        {
            Fail($"{field} claims {length} bytes but only {_remaining.Length} remain");
            return false;
        }
        return Take((int)length, field, out taken);
    }

    public string String(string field)
    {
        ushort length = U16(field + " length");
        if (Failed)
            return string.Empty;
        if (length > ProtocolLimits.MaxStringBytes)
        {
            Fail($"{field} is {length} bytes, the maximum is {ProtocolLimits.MaxStringBytes}");
            return string.Empty;
        }
        if (!Take(length, field, out var s))
            return string.Empty;
        if (!Utf8.IsValid(s))
        {
            Fail($"{field} is not valid UTF-8");
            return string.Empty;
        }
        return Encoding.UTF8.GetString(s);
    }

    /// <summary>
    /// A u32 item count, checked against <paramref name="max"/> and against the bytes left (each item takes at least
    /// <paramref name="minItemSize"/> bytes), so a hostile count never drives an allocation.
    /// </summary>
    public int Count(string field, int max, int minItemSize)
    {
        uint count = U32(field + " count");
        if (Failed)
            return 0;
        if (count > (uint)max)
        {
            Fail($"{field} count {count} exceeds the maximum of {max}");
            return 0;
        }
        if ((long)count * minItemSize > _remaining.Length)
        {
            Fail($"{field} count {count} needs at least {(long)count * minItemSize} bytes but only {_remaining.Length} remain");
            return 0;
        }
        return (int)count;
    }

    public PublicKey? Key(string field) => Take(PublicKey.Size, field, out var s) ? new PublicKey(s) : null;

    public IPEndPoint? EndPoint(string field)
    {
        if (!Take(EndPointSize, field, out var s))
            return null;
        var address = new IPAddress(s[..16]);
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        ushort port = BinaryPrimitives.ReadUInt16LittleEndian(s[16..]);
        if (port == 0)
        {
            Fail($"{field} {address} has port 0");
            return null;
        }
        return new IPEndPoint(address, port);
    }

    /// <summary>Fails when bytes are left over: every payload must be consumed exactly.</summary>
    public void End()
    {
        if (!Failed && _remaining.Length > 0)
            Fail($"{_remaining.Length} unexpected trailing bytes");
    }

    public void Fail(string error) => Error ??= error;

    private bool Take(int length, string field, out ReadOnlySpan<byte> taken)
    {
        if (Failed)
        {
            taken = default;
            return false;
        }
        if (_remaining.Length < length)
        {
            Fail($"{field} needs {length} bytes but only {_remaining.Length} remain");
            taken = default;
            return false;
        }
        taken = _remaining[..length];
        _remaining = _remaining[length..];
        return true;
    }
}
