using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// Fork choice prefers the peer's validated branch: the caller reorganises onto it (disconnect our blocks above
/// <paramref name="AncestorHeight"/>, connect <paramref name="Branch"/>).
/// </summary>
/// <param name="PeerId">The peer that served the branch.</param>
/// <param name="AncestorHeight">Height of the common ancestor.</param>
/// <param name="Branch">Hashes of the branch blocks from <c>AncestorHeight + 1</c> upwards.</param>
public sealed record ForkSwitch(string PeerId, long AncestorHeight, IReadOnlyList<Hash256> Branch);
