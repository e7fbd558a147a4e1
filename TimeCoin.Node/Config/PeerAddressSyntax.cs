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

        // IPAddress.TryParse accepts "1" and "1.2" as IPv4; a config entry must spell out four decimal parts.
        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }

        address = IPAddress.Parse(text);
        return true;
    }
}
