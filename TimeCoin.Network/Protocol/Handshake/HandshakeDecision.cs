namespace TimeCoin.Network.Protocol;

/// <summary>The verdict of <see cref="HandshakeRules.Evaluate"/> on a peer's version message.</summary>
/// <param name="IsAccepted">True when the peer may proceed.</param>
/// <param name="Failure">Why it was rejected (null when accepted).</param>
/// <param name="Detail">Human-readable reason naming the values compared.</param>
/// <param name="IsSevere">True when the rejection is a severe violation for the peer policy.</param>
internal sealed record HandshakeDecision(bool IsAccepted, HandshakeFailure? Failure, string Detail, bool IsSevere)
{
    /// <summary>The peer may proceed.</summary>
    public static HandshakeDecision Accept { get; } = new(true, null, "accepted", false);

    /// <summary>A rejection.</summary>
    public static HandshakeDecision Reject(HandshakeFailure failure, string detail, bool severe) => new(false, failure, detail, severe);
}
