using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Node.Config;

/// <summary>
/// Syntactic checks for the address strings of the config (whitelist, blacklist, bootstrap peers, RPC allow list).
/// Only the shape is checked here; the peer policy owns the meaning of whitelist entries and their permissions.
/// </summary>
internal static class PeerAddressSyntax
{
    /// <summary>A plain IP address: four dotted decimals, or an IPv6 address (no brackets, no port).</summary>
    public static bool IsIpAddress(string text) => TryParseIp(text, out _);

    /// <summary>An IP address or a CIDR range (<c>10.0.0.0/8</c>, <c>fd00::/8</c>), exactly as the peer policy parses it.</summary>
    public static bool IsIpOrCidr(string text) => TimeCoin.Core.Policy.IpRange.TryParse(text, out _, out _);

    /// <summary>A whitelist entry: an IP or CIDR range, optionally prefixed by <c>perm,perm@</c>, exactly as the peer policy parses it.</summary>
    public static bool IsWhitelistEntry(string text) => TimeCoin.Core.Policy.WhitelistSpec.TryParse(text, out _, out _);

    /// <summary>
    /// An endpoint the node binds or announces: <c>a.b.c.d:port</c> or <c>[ipv6]:port</c> (port 1 to 65535) and, when
    /// <paramref name="portRequired"/> is false, also a plain address (<c>a.b.c.d</c>, <c>ipv6</c>, <c>[ipv6]</c>).
    /// Stricter than <see cref="IPEndPoint.TryParse(string, out IPEndPoint?)"/>, which reads <c>24100</c> or
    /// <c>1.2.3</c> as IPv4 addresses; what this accepts, IPEndPoint.Parse reads the same way.
    /// </summary>
    public static bool IsEndPoint(string text, bool portRequired)
    {
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || !TryParseIp(text[1..close], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            var rest = text[(close + 1)..];
            return rest.Length == 0 ? !portRequired : rest[0] == ':' && IsPort(rest[1..]);
        }

        var colons = text.Count(c => c == ':');
        if (colons != 1)
        {
            // No colon: a dotted quad; several: an IPv6 address without brackets, so without a port.
            return !portRequired && TryParseIp(text, out _);
        }

        var colon = text.IndexOf(':');
        return TryParseIp(text[..colon], out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && IsPort(text[(colon + 1)..]);
    }

    /// <summary>A peer to dial: <c>ip</c>, <c>ip:port</c>, <c>[ipv6]:port</c>, <c>host</c> or <c>host:port</c>.</summary>
    public static bool IsPeerEndpoint(string text)
    {
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || !IPAddress.TryParse(text[1..close], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            var rest = text[(close + 1)..];
            return rest.Length == 0 || (rest[0] == ':' && IsPort(rest[1..]));
        }

        if (text.Count(c => c == ':') > 1)
        {
            return TryParseIp(text, out _);
        }

        var colon = text.IndexOf(':');
        var host = colon < 0 ? text : text[..colon];
        if (colon >= 0 && !IsPort(text[(colon + 1)..]))
        {
            return false;
        }

        return TryParseIp(host, out _) || IsHostName(host);
    }

    private static bool IsPort(string text) =>
        text.Length is > 0 and <= 5
        && text.All(char.IsAsciiDigit)
        && int.Parse(text, CultureInfo.InvariantCulture) is >= 1 and <= 65535;

    private static bool IsHostName(string text)
    {
        if (text.Length is 0 or > 253 || text.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return false;
        }

        return text.Split('.').All(label =>
            label.Length is > 0 and <= 63
            && label[0] != '-'
            && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }

    private static bool TryParseIp(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            if (text.Contains('%') || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = v6;
            return true;
        }

        // IPAddress.TryParse accepts "1" and "1.2" as IPv4, and reads "010" as octal; a config entry must spell out four
        // decimal parts without leading zeros (as IpRange requires).
        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')
                                                || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }

        address = IPAddress.Parse(text);
        return true;
    }
}
