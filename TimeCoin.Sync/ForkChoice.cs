using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// The fork-choice rule of issue 3, as sync needs it: the chain with more blocks wins; at equal height the
/// lower tip hash (byte-wise) wins. Every node applies the same rule, so all converge on the same tip.
/// </summary>
internal static class ForkChoice
{
    /// <summary>True when the candidate chain is preferred over the current one.</summary>
    public static bool Prefers(long candidateHeight, Hash256 candidateTip, long currentHeight, Hash256 currentTip)
    {
        if (candidateHeight != currentHeight)
            return candidateHeight > currentHeight;
        return candidateTip < currentTip;
    }
}
