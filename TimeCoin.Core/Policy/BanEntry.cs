namespace TimeCoin.Core.Policy;

/// <summary>One ban: a range refused until a time, or for ever.</summary>
/// <param name="Range">The banned addresses (a single address for automatic bans).</param>
/// <param name="Source">Who placed it.</param>
/// <param name="Reason">Why, for operators and the audit trail.</param>
/// <param name="CreatedAt">When it was placed (or last extended).</param>
/// <param name="Until">When it stops applying; null for a permanent ban.</param>
public sealed record BanEntry(IpRange Range, BanSource Source, string Reason, DateTimeOffset CreatedAt, DateTimeOffset? Until)
{
    /// <summary>True for a ban without an end.</summary>
    public bool IsPermanent => Until is null;

    /// <summary>True when a manual (config or rpc) source placed it.</summary>
    public bool IsManual => Source != BanSource.Automatic;

    /// <summary>True while the ban applies at <paramref name="now"/>.</summary>
    public bool IsActiveAt(DateTimeOffset now) => Until is not { } until || now < until;
}
