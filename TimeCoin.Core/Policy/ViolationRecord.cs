using System.Net;

namespace TimeCoin.Core.Policy;

/// <summary>One violation the policy recorded, and what it decided.</summary>
/// <param name="Address">The (normalized) address that committed it.</param>
/// <param name="Kind">What it was.</param>
/// <param name="Detail">What exactly happened.</param>
/// <param name="IsNoBan">True when the address held the no-ban permission at the time.</param>
/// <param name="Outcome">The decision (ignore, disconnect, ban).</param>
/// <param name="At">When it was recorded.</param>
public sealed record ViolationRecord(IPAddress Address, ViolationKind Kind, string Detail, bool IsNoBan, ViolationOutcome Outcome, DateTimeOffset At)
{
    /// <summary>True for a severe violation by a no-ban peer: it is disconnected, never banned, and the operator should know.</summary>
    public bool IsSevereByNoBanPeer => IsNoBan && Kind.IsSevere();
}
