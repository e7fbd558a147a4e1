using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>One tip of the header tree (RPC <c>get_chain_tips</c>).</summary>
/// <param name="Height">The tip's height.</param>
/// <param name="Hash">The tip's hash.</param>
/// <param name="BranchLength">Blocks between the tip and the active chain (0 for the active tip).</param>
/// <param name="IsActive">True for the tip of the active chain.</param>
public sealed record ChainTip(long Height, Hash256 Hash, int BranchLength, bool IsActive);
