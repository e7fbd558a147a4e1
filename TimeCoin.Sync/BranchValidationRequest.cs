using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// A fork branch whose blocks have all arrived: the caller validates them on top of the ancestor and reports
/// back with <see cref="SyncPlanner.OnBranchValidated"/> (or <see cref="ForkResolver.OnBranchValidated"/>).
/// </summary>
/// <param name="PeerId">The peer that served the branch.</param>
/// <param name="AncestorHeight">Height of the last block common to both chains.</param>
/// <param name="Branch">Hashes of the branch blocks from <c>AncestorHeight + 1</c> upwards.</param>
public sealed record BranchValidationRequest(string PeerId, long AncestorHeight, IReadOnlyList<Hash256> Branch);
