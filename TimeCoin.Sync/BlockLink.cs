using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>
/// The part of a block header that sync planning looks at: where the block sits and what it links to.
/// The caller builds it from a header it has already checked (signature, schedule); the planner checks linkage.
/// </summary>
/// <param name="Height">Height of the block.</param>
/// <param name="Hash">Hash of the block.</param>
/// <param name="PreviousHash">Hash of its parent.</param>
public readonly record struct BlockLink(long Height, Hash256 Hash, Hash256 PreviousHash)
{
    /// <summary>
    /// Checks that <paramref name="links"/> form one chain: consecutive heights and each block naming the
    /// previous one as its parent. <paramref name="error"/> names the first break.
    /// </summary>
    public static bool FormChain(IReadOnlyList<BlockLink> links, out string? error)
    {
        ArgumentNullException.ThrowIfNull(links);
        for (int i = 1; i < links.Count; i++)
        {
            var previous = links[i - 1];
            var current = links[i];
            if (current.Height != previous.Height + 1)
            {
                error = $"header {i} has height {current.Height}, expected {previous.Height + 1}";
                return false;
            }
            if (current.PreviousHash != previous.Hash)
            {
                error = $"header at height {current.Height} does not link to the header before it";
                return false;
            }
        }
        error = null;
        return true;
    }
}
