using System.Buffers.Binary;
using System.Net;
using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>Shared field rules and the big-endian, length-prefixed encoding of heartbeats and announcements.</summary>
internal static class MasternodeWire
{
    /// <summary>Longest network name in UTF-8 bytes.</summary>
    public const int MaxNetworkBytes = 32;

    /// <summary>Longest address text in UTF-8 bytes ("[v6 address]:port" fits).</summary>
    public const int MaxAddressBytes = 64;

    private static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Null when the network name is usable, otherwise what is wrong with it.</summary>
    public static string? CheckNetwork(string? network)
    {
        if (string.IsNullOrEmpty(network))
            return "the network name is empty";
        int bytes = Encoding.UTF8.GetByteCount(network);
        return bytes > MaxNetworkBytes ? $"the network name is {bytes} bytes (max {MaxNetworkBytes})" : null;
    }

    /// <summary>Null when the address is "ip:port" with a non-zero port, otherwise what is wrong with it.</summary>
    public static string? CheckAddress(string? address)
    {
        if (string.IsNullOrEmpty(address))
            return "the address is empty";
        int bytes = Encoding.UTF8.GetByteCount(address);
        if (bytes > MaxAddressBytes)
            return $"the address is {bytes} bytes (max {MaxAddressBytes})";
        if (!IPEndPoint.TryParse(address, out var endpoint) || endpoint.Port == 0 || !address.Contains(':'))
            return $"the address '{address}' is not ip:port";
        // "1:2" parses as an IPv6 address without port; insist that the text ends in a port.
        if (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !address.StartsWith('['))
            return $"the address '{address}' is not ip:port (write IPv6 as [address]:port)";
        return null;
    }

    /// <summary>Truncates to whole milliseconds, the precision that is signed and sent.</summary>
    public static DateTimeOffset ToWireTime(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>
    /// An append-only big-endian writer. It writes into one array (grown when needed) and copies out exactly what was
    /// written: a heartbeat's signing bytes cost that array and the result, not a list plus an array per string.
    /// </summary>
    public sealed class Writer
    {
        private byte[] _buffer = new byte[192];
        private int _length;

        public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

        public void Byte(byte value) => Take(1)[0] = value;

        /// <summary>ASCII text without a length (the signing domains).</summary>
        public void Ascii(string text) => Encoding.ASCII.GetBytes(text, Take(text.Length));

        public void ShortString(string text)
        {
            int length = Encoding.UTF8.GetByteCount(text);
            Byte(checked((byte)length));
            Encoding.UTF8.GetBytes(text, Take(length));
        }

        public void Key(PublicKey key) => Raw(key.Bytes);

        public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);

        public void Time(DateTimeOffset time) => BinaryPrimitives.WriteInt64BigEndian(Take(8), time.ToUnixTimeMilliseconds());

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        /// <summary>The next <paramref name="count"/> bytes of the output, to be written now.</summary>
        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length)
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    /// <summary>UTF-8 that throws on invalid bytes (one instance: it is immutable and thread-safe).</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>A reader that reports the first field it could not read instead of throwing.</summary>
    public ref struct Reader
    {
        private ReadOnlySpan<byte> _rest;

        public Reader(ReadOnlySpan<byte> data)
        {
            _rest = data;
            Error = null;
        }

        /// <summary>The first problem met, naming the field; null while all is well.</summary>
        public string? Error { get; private set; }

        public readonly int Remaining => _rest.Length;

        private bool Take(int count, string field, out ReadOnlySpan<byte> bytes)
        {
            bytes = default;
            if (Error is not null)
                return false;
            if (_rest.Length < count)
            {
                Error = $"truncated: {field} needs {count} bytes, {_rest.Length} left";
                return false;
            }
            bytes = _rest[..count];
            _rest = _rest[count..];
            return true;
        }

        public byte Byte(string field) => Take(1, field, out var b) ? b[0] : (byte)0;

        public string ShortString(string field, int maxBytes)
        {
            if (Error is null && _rest.Length < 1)
                Error = $"truncated: {field} length needs 1 bytes, {_rest.Length} left"; // as Take words it (no name built per read)
            if (Error is not null)
                return "";
            int length = _rest[0];
            _rest = _rest[1..];
            if (length == 0 || length > maxBytes)
            {
                Error = $"{field} length {length} is outside 1..{maxBytes}";
                return "";
            }
            if (!Take(length, field, out var bytes))
                return "";
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                Error = $"{field} is not valid UTF-8";
                return "";
            }
        }

        public PublicKey? Key(string field) => Take(PublicKey.Size, field, out var bytes) ? new PublicKey(bytes) : null;

        public ulong UInt64(string field) => Take(8, field, out var bytes) ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

        public DateTimeOffset Time(string field)
        {
            if (!Take(8, field, out var bytes))
                return default;
            long ms = BinaryPrimitives.ReadInt64BigEndian(bytes);
            if (ms < MinUnixMs || ms > MaxUnixMs)
            {
                Error = $"{field} {ms} ms is outside the representable range";
                return default;
            }
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        public byte[] Bytes(int count, string field) => Take(count, field, out var bytes) ? bytes.ToArray() : [];

        public void Fail(string error) => Error ??= error;
    }
}
