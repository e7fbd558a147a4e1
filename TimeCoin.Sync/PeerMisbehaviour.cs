namespace TimeCoin.Sync;

/// <summary>A sync violation by a peer, for the peer policy to record.</summary>
/// <param name="PeerId">The peer.</param>
/// <param name="Kind">What it did.</param>
/// <param name="Detail">A human-readable description (heights, hashes).</param>
public sealed record PeerMisbehaviour(string PeerId, MisbehaviourKind Kind, string Detail);
