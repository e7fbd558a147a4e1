namespace TimeCoin.Sync;

/// <summary>Blocks that <paramref name="PeerId"/> did not deliver within the stall timeout; they were given to other peers.</summary>
/// <param name="PeerId">The peer that stalled.</param>
/// <param name="Heights">Heights taken away from it, ascending.</param>
public sealed record StalledRequest(string PeerId, IReadOnlyList<long> Heights);
