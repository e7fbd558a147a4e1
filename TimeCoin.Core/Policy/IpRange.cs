using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace TimeCoin.Core.Policy;

/// <summary>
/// A single IP address or a CIDR range, IPv4 or IPv6. IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>) and
/// ranges inside <c>::ffff:0:0/96</c> are normalized to IPv4, so a peer matches the same entries whichever way
/// its socket reports the address. A single address is a /32 (IPv4) or /128 (IPv6) range.
/// Parsing is strict: dotted-quad IPv4 only, no zone index, no bits set after the prefix.
/// </summary>
[JsonConverter(typeof(IpRangeJsonConverter))]
public sealed class IpRange : IEquatable<IpRange>, IComparable<IpRange>
{
    private readonly byte[] _network;
    private readonly string _text;

    private IpRange(byte[] network, int prefixLength)
    {
        _network = network;
        PrefixLength = prefixLength;
        var address = new IPAddress(network).ToString();
        _text = IsSingleAddress ? address : $"{address}/{prefixLength.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    public AddressFamily AddressFamily => _network.Length == 4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>The first address of the range (the network address).</summary>
    public IPAddress Network => new(_network);

    /// <summary>Number of leading bits that an address must share with <see cref="Network"/> to match.</summary>
    public int PrefixLength { get; }

    /// <summary>True for a /32 (IPv4) or /128 (IPv6) range: exactly one address.</summary>
    public bool IsSingleAddress => PrefixLength == _network.Length * 8;

    /// <summary>
    /// Returns the address in the form the policy compares: IPv4-mapped IPv6 becomes IPv4, an IPv6 zone index is
    /// dropped.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
            return address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
            return new IPAddress(address.GetAddressBytes());
        return address;
    }

    /// <summary>The range holding exactly <paramref name="address"/> (normalized).</summary>
    /// <exception cref="ArgumentException">Not an IPv4 or IPv6 address.</exception>
    public static IpRange FromAddress(IPAddress address)
    {
        var bytes = Normalize(address).GetAddressBytes();
        if (bytes.Length != 4 && bytes.Length != 16)
            throw new ArgumentException("Only IPv4 and IPv6 addresses are supported.", nameof(address));
        return new IpRange(bytes, bytes.Length * 8);
    }

    /// <summary>Parses an address (<c>10.1.2.3</c>, <c>2001:db8::1</c>) or a CIDR range (<c>10.0.0.0/8</c>).</summary>
    /// <exception cref="FormatException">The text is not a valid address or range; the message says why.</exception>
    public static IpRange Parse(string text)
    {
        if (!TryParse(text, out var range, out var error))
            throw new FormatException(error);
        return range;
    }

    /// <summary>
    /// Parses an address or CIDR range. On failure returns false and <paramref name="error"/> names what was wrong;
    /// never throws.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IpRange? range, out string error)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "An IP address or range is required but the text is empty.";
            return false;
        }

        var trimmed = text.Trim();
        var slash = trimmed.IndexOf('/');
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        var prefixText = slash < 0 ? null : trimmed[(slash + 1)..];

        if (!TryParseAddress(addressText, out var bytes, out var addressError))
        {
            error = $"'{trimmed}' is not an IP address or CIDR range: {addressError}";
            return false;
        }

        var maxBits = bytes.Length * 8;
        var prefix = maxBits;
        if (prefixText is not null)
        {
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit))
            {
                error = $"'{trimmed}' has an invalid prefix length '{prefixText}': expected a number after '/'.";
                return false;
            }
            prefix = int.Parse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (prefix > maxBits)
            {
                error = $"'{trimmed}' has prefix length /{prefix}, but an IPv{(maxBits == 32 ? 4 : 6)} range allows at most /{maxBits}.";
                return false;
            }
        }

        if (bytes.Length == 16 && IsIPv4Mapped(bytes) && prefix >= 96)
        {
            bytes = bytes[12..];
            prefix -= 96;
        }

        var masked = Mask(bytes, prefix);
        if (!masked.AsSpan().SequenceEqual(bytes))
        {
            error = $"'{trimmed}' has bits set after the /{prefix} prefix; the range starting there is {new IPAddress(masked)}/{prefix}.";
            return false;
        }

        range = new IpRange(bytes, prefix);
        error = string.Empty;
        return true;
    }

    /// <summary>True when <paramref name="address"/> (normalized) lies in this range.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    public bool Contains(IPAddress address)
    {
        // Into a stack buffer, not GetAddressBytes: the policy asks this for many entries per look-up, and an array
        // per call was a share of a 100-node simulation's allocations.
        Span<byte> bytes = stackalloc byte[16];
        if (!Normalize(address).TryWriteBytes(bytes, out int written))
            return false;
        return written == _network.Length && PrefixMatches(bytes[..written], PrefixLength);
    }

    /// <summary>True when every address of <paramref name="other"/> lies in this range.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public bool Contains(IpRange other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other._network.Length == _network.Length
            && other.PrefixLength >= PrefixLength
            && PrefixMatches(other._network, PrefixLength);
    }

    /// <summary>Canonical text: the address alone for a single address, otherwise <c>network/prefix</c>.</summary>
    public override string ToString() => _text;

    /// <inheritdoc />
    public bool Equals(IpRange? other) =>
        other is not null && PrefixLength == other.PrefixLength && _network.AsSpan().SequenceEqual(other._network);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IpRange);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_network);
        hash.Add(PrefixLength);
        return hash.ToHashCode();
    }

    /// <summary>Orders IPv4 before IPv6, then by network bytes, then by prefix length.</summary>
    public int CompareTo(IpRange? other)
    {
        if (other is null)
            return 1;
        var byFamily = _network.Length.CompareTo(other._network.Length);
        if (byFamily != 0)
            return byFamily;
        var byNetwork = _network.AsSpan().SequenceCompareTo(other._network);
        return byNetwork != 0 ? byNetwork : PrefixLength.CompareTo(other.PrefixLength);
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(IpRange? left, IpRange? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(IpRange? left, IpRange? right) => !(left == right);

    private bool PrefixMatches(ReadOnlySpan<byte> candidate, int prefix)
    {
        var fullBytes = prefix / 8;
        if (!candidate[..fullBytes].SequenceEqual(_network.AsSpan(0, fullBytes)))
            return false;
        var remainingBits = prefix % 8;
        if (remainingBits == 0)
            return true;
        var mask = (byte)(0xFF << (8 - remainingBits));
        return (candidate[fullBytes] & mask) == (_network[fullBytes] & mask);
    }

    private static byte[] Mask(byte[] bytes, int prefix)
    {
        var result = (byte[])bytes.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            var bitsInByte = Math.Clamp(prefix - i * 8, 0, 8);
            result[i] &= (byte)(0xFF << (8 - bitsInByte));
        }
        return result;
    }

    private static bool IsIPv4Mapped(byte[] bytes) =>
        bytes.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF;

    private static bool TryParseAddress(string text, out byte[] bytes, out string error)
    {
        bytes = [];
        if (text.Length == 0)
        {
            error = "the address is missing.";
            return false;
        }
        if (text.Contains('%'))
        {
            error = "zone indexes (%...) are not supported.";
            return false;
        }
        if (text.Contains(':'))
        {
            if (!text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
                || !IPAddress.TryParse(text, out var v6)
                || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' is not a valid IPv6 address.";
                return false;
            }
            bytes = v6.GetAddressBytes();
            error = string.Empty;
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            error = $"'{text}' is not a dotted-quad IPv4 address (four numbers 0-255 separated by dots).";
            return false;
        }
        bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0'))
            {
                error = $"'{part}' in '{text}' is not a number 0-255 without leading zeros.";
                return false;
            }
            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                error = $"'{part}' in '{text}' is larger than 255.";
                return false;
            }
            bytes[i] = (byte)value;
        }
        error = string.Empty;
        return true;
    }
}
