using System.Diagnostics.CodeAnalysis;

namespace TimeCoin.Core.Policy;

/// <summary>
/// One whitelist line as an operator writes it in configuration or RPC, in Bitcoin Core's <c>-whitelist</c>
/// style: <c>perm1,perm2@range</c> (for example <c>noban,prioritysync@10.0.0.0/8</c>) or a plain address or range,
/// which gets the source's default permissions.
/// </summary>
/// <param name="Range">The addresses the line covers.</param>
/// <param name="Permissions">The permissions written before <c>@</c>, or null when none were written.</param>
public sealed record WhitelistSpec(IpRange Range, PeerPermissions? Permissions)
{
    /// <summary>The permissions this line grants when added under <paramref name="source"/>.</summary>
    public PeerPermissions PermissionsFor(WhitelistSource source) =>
        Permissions ?? PeerPermissionNames.DefaultFor(source);

    /// <summary>Parses a whitelist line.</summary>
    /// <exception cref="FormatException">The line is invalid; the message says why.</exception>
    public static WhitelistSpec Parse(string text) =>
        TryParse(text, out var spec, out var error) ? spec : throw new FormatException(error);

    /// <summary>Parses a whitelist line; on failure returns false with an error that names the bad part.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out WhitelistSpec? spec, out string error)
    {
        spec = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "A whitelist entry is required but the text is empty.";
            return false;
        }
        var at = text.IndexOf('@');
        PeerPermissions? permissions = null;
        var rangeText = text;
        if (at >= 0)
        {
            if (!PeerPermissionNames.TryParse(text[..at], out var parsed, out var permissionError))
            {
                error = $"Whitelist entry '{text.Trim()}': {permissionError}";
                return false;
            }
            permissions = parsed;
            rangeText = text[(at + 1)..];
        }
        if (!IpRange.TryParse(rangeText, out var range, out var rangeError))
        {
            error = $"Whitelist entry '{text.Trim()}': {rangeError}";
            return false;
        }
        spec = new WhitelistSpec(range, permissions);
        error = string.Empty;
        return true;
    }

    /// <summary>Canonical text: <c>perms@range</c>, or the range alone when no permissions were written.</summary>
    public override string ToString() =>
        Permissions is { } p ? $"{PeerPermissionNames.Format(p)}@{Range}" : Range.ToString();
}
