using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Storage;

/// <summary>
/// A move of the active chain: every active height at or above <see cref="FirstHeight"/> is replaced by
/// <see cref="Hashes"/> (the first at <see cref="FirstHeight"/>). An extension starts at the old tip + 1; a
/// reorganization starts at the fork height + 1 and may be shorter or longer than what it replaces.
/// </summary>
/// <param name="FirstHeight">The first height that changes.</param>
/// <param name="Hashes">The new active hashes from <see cref="FirstHeight"/> upward.</param>
public sealed record ActiveChainUpdate(long FirstHeight, IReadOnlyList<Hash256> Hashes);
