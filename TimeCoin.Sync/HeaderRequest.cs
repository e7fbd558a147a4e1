using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// Ask <paramref name="PeerId"/> for the headers that follow the first locator hash on its active chain
/// (at most <paramref name="MaxHeaders"/>, in height order).
/// </summary>
/// <param name="PeerId">The peer to ask.</param>
/// <param name="Locator">Hashes, highest first; the peer starts after the first one it has on its active chain.</param>
/// <param name="MaxHeaders">Most headers the reply may carry; a reply this long means more may follow.</param>
public sealed record HeaderRequest(string PeerId, IReadOnlyList<Hash256> Locator, int MaxHeaders);
