namespace TimeCoin.Network.Protocol;

/// <summary>
/// A protocol error found in a peer's bytes, returned as a value (never thrown).
/// </summary>
/// <param name="Kind">What was wrong.</param>
/// <param name="Detail">Human-readable detail naming the offending field and value.</param>
/// <param name="ClosesConnection">True when the byte stream can no longer be trusted (frame sync lost) and the
/// connection must be closed; false when the frame was skipped and reading may continue.</param>
/// <param name="IsSevere">True when the error counts as a severe violation for the peer policy.</param>
internal sealed record ProtocolError(ProtocolErrorKind Kind, string Detail, bool ClosesConnection, bool IsSevere)
{
    /// <summary>Short form for logs: "Kind: detail".</summary>
    public override string ToString() => $"{Kind}: {Detail}";
}
