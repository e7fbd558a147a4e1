using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Discovery;

/// <summary>
/// Parses peer addresses as written in discovery responses and configuration: "1.2.3.4", "1.2.3.4:24100",
/// "[2001:db8::1]:24100", "[2001:db8::1]" or a bare "2001:db8::1". Strict: IPv4 needs four decimal parts, ports
/// are 1-65535, host names and unspecified, multicast and broadcast addresses are refused.
/// </summary>
public static class PeerAddressParser
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="defaultPort"/> applies when it has no port.</summary>
    /// <param name="text">The address text.</param>
    /// <param name="defaultPort">Port used when the text has none (1-65535).</param>
    /// <param name="endpoint">The endpoint, when the result is true.</param>
    /// <param name="error">Why the text was refused, when the result is false.</param>
    public static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (defaultPort is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(defaultPort), defaultPort, "A port is 1-65535.");
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty address";
            return false;
        }
        string s = text.Trim();
        string host;
        string? portText = null;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0)
            {
                error = $"'{s}': missing ']'";
                return false;
            }
            host = s[1..close];
            string rest = s[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = $"'{s}': unexpected text after ']'";
                    return false;
                }
                portText = rest[1..];
            }
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{s}': '{host}' is not an IPv6 address";
                return false;
            }
            return Finish(s, v6, portText, defaultPort, out endpoint, out error);
        }

        int colons = s.Count(c => c == ':');
        if (colons > 1)
        {
            if (!IPAddress.TryParse(s, out var bareV6) || bareV6.AddressFamily != AddressFamily.InterNetworkV6 || s.Contains('%'))
            {
                error = $"'{s}' is not an IPv6 address";
                return false;
            }
            return Finish(s, bareV6, null, defaultPort, out endpoint, out error);
        }
        if (colons == 1)
        {
            int colon = s.IndexOf(':');
            host = s[..colon];
            portText = s[(colon + 1)..];
        }
        else
        {
            host = s;
        }
        if (!TryParseStrictIPv4(host, out var v4))
        {
            error = $"'{s}': '{host}' is not an IPv4 address";
            return false;
        }
        return Finish(s, v4, portText, defaultPort, out endpoint, out error);
    }

    private static bool Finish(string text, IPAddress address, string? portText, int defaultPort, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        int port = defaultPort;
        if (portText is not null)
        {
            if (portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit)
                || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"'{text}': port '{portText}' is not 1-65535";
                return false;
            }
        }
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)
            || IsMulticast(address))
        {
            error = $"'{text}': {address} is not a unicast address";
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        endpoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static bool TryParseStrictIPv4(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        var parts = text.Split('.');
        if (parts.Length != 4)
            return false;
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit))
                return false;
            int value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
                return false;
            bytes[i] = (byte)value;
        }
        address = new IPAddress(bytes);
        return true;
    }
}
