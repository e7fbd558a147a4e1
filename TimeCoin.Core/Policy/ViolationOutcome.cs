namespace TimeCoin.Core.Policy;

/// <summary>The decision for one recorded violation; the caller carries it out.</summary>
/// <param name="Action">Keep, disconnect, or disconnect and treat as banned.</param>
/// <param name="Score">The address's violation score after this violation (0 when the peer is no-ban).</param>
/// <param name="BannedUntil">When <see cref="Action"/> is <see cref="ViolationAction.Banned"/>: the end of the ban, or null if permanent.</param>
/// <param name="Reason">A sentence for the log and the disconnect message.</param>
public sealed record ViolationOutcome(ViolationAction Action, int Score, DateTimeOffset? BannedUntil, string Reason)
{
    /// <summary>True for a ban without end.</summary>
    public bool IsPermanentBan => Action == ViolationAction.Banned && BannedUntil is null;
}
