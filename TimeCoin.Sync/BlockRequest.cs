using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>Ask <paramref name="PeerId"/> for the blocks with these hashes, at consecutive heights from <paramref name="StartHeight"/>.</summary>
/// <param name="PeerId">The peer to ask.</param>
/// <param name="StartHeight">Height of the first block.</param>
/// <param name="Hashes">Hashes of the blocks, one per height in order.</param>
public sealed record BlockRequest(string PeerId, long StartHeight, IReadOnlyList<Hash256> Hashes)
{
    /// <summary>Height of the last block requested.</summary>
    public long EndHeight => StartHeight + Hashes.Count - 1;
}
