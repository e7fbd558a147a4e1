namespace TimeCoin.Core.Policy;

/// <summary>
/// The text names of <see cref="PeerPermissions"/> used in configuration and RPC (<c>lenientliveness</c>,
/// <c>noban</c>, <c>prioritysync</c>, <c>reservedslot</c>, <c>all</c>), and the default permissions of each
/// <see cref="WhitelistSource"/>.
/// </summary>
public static class PeerPermissionNames
{
    private static readonly (string Name, PeerPermissions Permission)[] Names =
    [
        ("lenientliveness", PeerPermissions.LenientLiveness),
        ("noban", PeerPermissions.NoBan),
        ("prioritysync", PeerPermissions.PrioritySync),
        ("reservedslot", PeerPermissions.ReservedSlot),
        ("all", PeerPermissions.All),
    ];

    /// <summary>The accepted names, comma separated, for error messages and help text.</summary>
    public static string KnownNames { get; } = string.Join(", ", Names.Select(n => n.Name));

    /// <summary>
    /// The permissions an entry from <paramref name="source"/> gets when none are given: config and rpc get all;
    /// discovery and masternode get everything except no-ban, because an outsider can cause those entries.
    /// </summary>
    public static PeerPermissions DefaultFor(WhitelistSource source) => source switch
    {
        WhitelistSource.Config or WhitelistSource.Rpc => PeerPermissions.All,
        WhitelistSource.Discovery or WhitelistSource.Masternode =>
            PeerPermissions.LenientLiveness | PeerPermissions.PrioritySync | PeerPermissions.ReservedSlot,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown whitelist source."),
    };

    /// <summary>True for the sources the node fills by itself (discovery, masternode); those are capped.</summary>
    public static bool IsAutomatic(WhitelistSource source) =>
        source is WhitelistSource.Discovery or WhitelistSource.Masternode;

    /// <summary>
    /// Parses a comma-separated list such as <c>noban,prioritysync</c> (case-insensitive, spaces allowed).
    /// Returns false with an error naming the unknown or missing name.
    /// </summary>
    public static bool TryParse(string? text, out PeerPermissions permissions, out string error)
    {
        permissions = PeerPermissions.None;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"No permission given; expected one or more of: {KnownNames}.";
            return false;
        }
        foreach (var raw in text.Split(','))
        {
            var name = raw.Trim();
            if (name.Length == 0)
            {
                error = $"Empty permission name in '{text}'; expected one or more of: {KnownNames}.";
                return false;
            }
            var match = Array.FindIndex(Names, n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase));
            if (match < 0)
            {
                error = $"Unknown permission '{name}'; known permissions are: {KnownNames}.";
                return false;
            }
            permissions |= Names[match].Permission;
        }
        error = string.Empty;
        return true;
    }

    /// <summary>Formats permissions as their config names: <c>all</c>, <c>noban,prioritysync</c>, or <c>none</c>.</summary>
    public static string Format(PeerPermissions permissions)
    {
        if (permissions == PeerPermissions.All)
            return "all";
        if (permissions == PeerPermissions.None)
            return "none";
        return string.Join(",", Names.Where(n => n.Permission != PeerPermissions.All && permissions.HasFlag(n.Permission))
            .Select(n => n.Name));
    }
}
