using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync.Tests;

/// <summary>An in-memory chain: a list of hashes by height (genesis shared by every chain), usable as our chain or a peer's.</summary>
public sealed class FakeChain : IChainView
{
    private readonly List<Hash256> _hashes = [];
    private readonly Dictionary<Hash256, long> _heights = [];

    public static Hash256 Genesis { get; } = HashOf("genesis", 0);

    /// <summary>The chain's own reorg limit (unbounded unless a test sets it).</summary>
    public int MaxReorgDepth { get; set; } = int.MaxValue;

    public static Hash256 HashOf(string branch, long height) => Hash256.Sha256(Encoding.UTF8.GetBytes($"{branch}:{height}"));

    /// <summary>Genesis plus <paramref name="height"/> blocks of <paramref name="branch"/>.</summary>
    public static FakeChain Create(string branch, long height)
    {
        var chain = new FakeChain();
        chain.Append(Genesis);
        chain.Extend(branch, height);
        return chain;
    }

    /// <summary>A copy of this chain up to <paramref name="ancestorHeight"/>, then blocks of <paramref name="branch"/> up to <paramref name="height"/>.</summary>
    public FakeChain Fork(long ancestorHeight, string branch, long height)
    {
        var chain = new FakeChain();
        for (long h = 0; h <= ancestorHeight; h++)
            chain.Append(_hashes[(int)h]);
        chain.Extend(branch, height - ancestorHeight);
        return chain;
    }

    public void Extend(string branch, long count)
    {
        for (long i = 0; i < count; i++)
            Append(HashOf(branch, Height + 1));
    }

    public void Append(Hash256 hash)
    {
        _heights.Add(hash, _hashes.Count);
        _hashes.Add(hash);
    }

    public void ReorgTo(long ancestorHeight, IEnumerable<Hash256> branch)
    {
        while (Height > ancestorHeight)
        {
            _heights.Remove(_hashes[^1]);
            _hashes.RemoveAt(_hashes.Count - 1);
        }
        foreach (var hash in branch)
            Append(hash);
    }

    public Hash256 TipHash => _hashes[^1];

    public long Height => _hashes.Count - 1;

    public bool TryGetHeight(Hash256 hash, out long height) => _heights.TryGetValue(hash, out height);

    public Hash256? HashAtHeight(long height) => height >= 0 && height <= Height ? _hashes[(int)height] : null;

    public IReadOnlyList<Hash256> GetLocator()
    {
        var locator = new List<Hash256>();
        long step = 1;
        for (long h = Height; h > 0; h -= step)
        {
            locator.Add(_hashes[(int)h]);
            if (locator.Count >= 10)
                step *= 2;
        }
        locator.Add(Genesis);
        return locator;
    }

    public BlockLink LinkAt(long height) =>
        new(height, _hashes[(int)height], height == 0 ? Hash256.Zero : _hashes[(int)height - 1]);

    /// <summary>What an honest peer with this chain answers to a locator.</summary>
    public IReadOnlyList<BlockLink> HeadersAfter(IReadOnlyList<Hash256> locator, int max)
    {
        long start = 0;
        foreach (var hash in locator)
        {
            if (_heights.TryGetValue(hash, out long h))
            {
                start = h;
                break;
            }
        }
        var headers = new List<BlockLink>();
        for (long h = start + 1; h <= Height && headers.Count < max; h++)
            headers.Add(LinkAt(h));
        return headers;
    }

    public IReadOnlyList<BlockLink> Blocks(BlockRequest request) =>
        request.Hashes.Select((hash, i) => LinkAt(_heights[hash])).ToArray();
}
