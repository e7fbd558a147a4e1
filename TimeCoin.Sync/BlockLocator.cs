using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync;

/// <summary>Builds locators over our active chain.</summary>
internal static class BlockLocator
{
    /// <summary>
    /// A locator of at most <paramref name="size"/> + 1 hashes spaced evenly from our tip down to
    /// <paramref name="floorHeight"/> (always included, last). A peer that answers it starts at most one spacing
    /// below the fork, so a reply of <c>(tip - floor) / (size - 1)</c> headers is sure to contain the fork point.
    /// </summary>
    public static IReadOnlyList<Hash256> Dense(IChainView chain, long floorHeight, int size)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        long top = chain.Height;
        floorHeight = Math.Clamp(floorHeight, 0, top);
        long step = Math.Max(1, (top - floorHeight + size - 2) / (size - 1));
        var hashes = new List<Hash256>(size + 1);
        for (long h = top; h > floorHeight; h -= step)
            hashes.Add(chain.HashAtHeight(h) ?? throw new InvalidOperationException($"chain has no block at height {h}"));
        hashes.Add(chain.HashAtHeight(floorHeight) ?? throw new InvalidOperationException($"chain has no block at height {floorHeight}"));
        return hashes;
    }
}
