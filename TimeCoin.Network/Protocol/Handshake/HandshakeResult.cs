namespace TimeCoin.Network.Protocol;

/// <summary>The outcome of <see cref="HandshakeDriver.RunAsync"/>.</summary>
/// <param name="Remote">The peer's version message (null on failure, or when it never arrived).</param>
/// <param name="Failure">Why it failed (null on success).</param>
/// <param name="Detail">Human-readable reason.</param>
/// <param name="IsSevere">True when the failure is a severe violation by the peer.</param>
internal sealed record HandshakeResult(VersionMessage? Remote, HandshakeFailure? Failure, string Detail, bool IsSevere)
{
    /// <summary>True when both sides exchanged and accepted versions and acknowledgements.</summary>
    public bool IsSuccess => Failure is null && Remote is not null;

    /// <summary>A success.</summary>
    public static HandshakeResult Success(VersionMessage remote) => new(remote, null, "handshake complete", false);

    /// <summary>A failure.</summary>
    public static HandshakeResult Failed(HandshakeFailure failure, string detail, bool severe, VersionMessage? remote = null) =>
        new(remote, failure, detail, severe);
}
