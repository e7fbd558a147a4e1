using System.Diagnostics.CodeAnalysis;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// The in-memory block tree and active chain of one node: every known header by hash (side branches kept), the
/// active chain indexed by height, and the tip. It holds headers only, never block bodies (about 0.5 KB per block),
/// so storage keeps the bodies. Thread-safe: every member may be called concurrently; <see cref="TryAdd"/> verifies
/// signatures outside the lock.
/// <para>Fork choice: the chain with the most blocks wins; at equal height the lower tip hash wins. A block whose
/// branch leaves the active chain more than <see cref="ChainParameters.MaxReorgDepth"/> blocks below the tip is
/// refused (<see cref="BlockRejectionReason.ReorgTooDeep"/>): such a branch could only ever be adopted by a reorg
/// deeper than allowed, so blocks below that depth are final.</para>
/// </summary>
public sealed class ChainState
{
    /// <summary>Number of consecutive hashes at the start of a locator before the spacing starts doubling.</summary>
    public const int LocatorDenseCount = 10;

    private readonly object _gate = new();
    private readonly Dictionary<Hash256, BlockHeader> _headers = [];
    private readonly List<BlockHeader> _active = [];
    private readonly BlockValidator _validator;

    /// <summary>The signatures this chain has verified; sync checks headers through it so adding the block later
    /// does not verify the same signature again.</summary>
    internal SignatureCache SignatureCache { get; }

    /// <summary>Creates a chain holding only the genesis block of <paramref name="parameters"/>.</summary>
    public ChainState(ChainParameters parameters) : this(parameters, new SignatureCache())
    {
    }

    /// <summary>As <see cref="ChainState(ChainParameters)"/>, verifying signatures through <paramref name="signatures"/>
    /// (the whole-network simulation hands every node one cache).</summary>
    internal ChainState(ChainParameters parameters, SignatureCache signatures)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signatures);
        Parameters = parameters;
        SignatureCache = signatures;
        _validator = new BlockValidator(parameters, SignatureCache);
        var genesis = parameters.GenesisHeader;
        _headers.Add(genesis.Hash, genesis);
        _active.Add(genesis);
    }

    /// <summary>The network's parameters.</summary>
    public ChainParameters Parameters { get; }

    /// <summary>The genesis hash.</summary>
    public Hash256 GenesisHash => Parameters.GenesisHash;

    /// <summary>The header at the tip of the active chain.</summary>
    public BlockHeader Tip
    {
        get { lock (_gate) return _active[^1]; }
    }

    /// <summary>Hash of the tip.</summary>
    public Hash256 TipHash => Tip.Hash;

    /// <summary>Height of the tip (0 when only genesis is known).</summary>
    public long Height
    {
        get { lock (_gate) return _active.Count - 1; }
    }

    /// <summary>Number of headers known, side branches included.</summary>
    public int HeaderCount
    {
        get { lock (_gate) return _headers.Count; }
    }

    /// <summary>
    /// Rebuilds a chain at startup from stored headers (any order, genesis optional) and the stored tip, without
    /// verifying signatures or merkle roots (they were checked when the blocks were accepted). Structure is still
    /// checked: network, links, heights, slot order, and that the tip is known.
    /// </summary>
    /// <exception cref="InvalidDataException">The headers are inconsistent; the message says which and why.</exception>
    public static ChainState Load(ChainParameters parameters, IEnumerable<BlockHeader> headers, Hash256 tip) =>
        TryLoad(parameters, headers, tip, out var state, out var error) ? state : throw new InvalidDataException(error);

    /// <summary>As <see cref="Load"/>, reporting an inconsistency as <paramref name="error"/> instead of throwing.</summary>
    public static bool TryLoad(ChainParameters parameters, IEnumerable<BlockHeader> headers, Hash256 tip,
        [NotNullWhen(true)] out ChainState? state, [NotNullWhen(false)] out string? error) =>
        TryLoad(parameters, headers, tip, new SignatureCache(), out state, out error);

    /// <summary>As <see cref="TryLoad(ChainParameters, IEnumerable{BlockHeader}, Hash256, out ChainState?, out string?)"/>,
    /// with the chain's verified-signature cache.</summary>
    internal static bool TryLoad(ChainParameters parameters, IEnumerable<BlockHeader> headers, Hash256 tip, SignatureCache signatures,
        [NotNullWhen(true)] out ChainState? state, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(headers);
        state = null;
        var chain = new ChainState(parameters, signatures);
        var sorted = new List<BlockHeader>();
        foreach (var header in headers)
        {
            if (header is null)
            {
                error = "A stored header is null.";
                return false;
            }
            sorted.Add(header);
        }
        sorted.Sort(static (a, b) => a.Height.CompareTo(b.Height));
        foreach (var header in sorted)
        {
            if (chain._headers.ContainsKey(header.Hash))
                continue;
            if (header.NetworkMagic != parameters.NetworkMagic)
            {
                error = $"Stored header {header} has network magic 0x{header.NetworkMagic:x8}, not {parameters.NetworkName}'s.";
                return false;
            }
            if (!chain._headers.TryGetValue(header.PreviousHash, out var parent))
            {
                error = header.Height == 0
                    ? $"Stored genesis {header.Hash} is not {parameters.NetworkName}'s genesis {parameters.GenesisHash}."
                    : $"Stored header {header} has unknown parent {header.PreviousHash}.";
                return false;
            }
            if (header.Height != parent.Height + 1 || header.Slot <= parent.Slot)
            {
                error = $"Stored header {header} does not follow its parent {parent} (height or slot).";
                return false;
            }
            chain._headers.Add(header.Hash, header);
        }
        if (!chain._headers.TryGetValue(tip, out var tipHeader))
        {
            error = $"The stored tip {tip} is not among the stored headers.";
            return false;
        }
        var path = new BlockHeader[tipHeader.Height];
        for (var cursor = tipHeader; cursor.Height > 0; cursor = chain._headers[cursor.PreviousHash])
            path[cursor.Height - 1] = cursor;
        chain._active.AddRange(path);
        state = chain;
        error = null;
        return true;
    }

    /// <summary>
    /// Validates <paramref name="block"/> at local time <paramref name="now"/> and adds its header to the tree,
    /// applying fork choice. Nothing is stored for rejected, orphan or already known blocks.
    /// </summary>
    public BlockAddResult TryAdd(Block block, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(block);
        var header = block.Header;
        BlockHeader? parent;
        lock (_gate)
        {
            if (_headers.ContainsKey(header.Hash))
                return BlockAddResult.AlreadyKnown(header);
            _headers.TryGetValue(header.PreviousHash, out parent);
        }

        if (parent is null)
        {
            if (header.PreviousHash.IsZero)
                return BlockAddResult.Rejected(header, BlockRejectionReason.LinkMismatch,
                    $"A genesis block {header.Hash} that is not {Parameters.NetworkName}'s genesis {GenesisHash}.");
            var standalone = _validator.ValidateWithoutParent(block, now);
            return standalone.IsValid ? BlockAddResult.Orphan(header) : BlockAddResult.Rejected(header, standalone.Reason, standalone.Message);
        }

        var verdict = _validator.Validate(block, parent, now);
        if (!verdict.IsValid)
            return BlockAddResult.Rejected(header, verdict.Reason, verdict.Message);

        lock (_gate)
        {
            if (_headers.ContainsKey(header.Hash))
                return BlockAddResult.AlreadyKnown(header);
            var tip = _active[^1];
            if (parent.Hash == tip.Hash)
            {
                _headers.Add(header.Hash, header);
                _active.Add(header);
                return BlockAddResult.Extended(header);
            }

            var forkPoint = ActiveAncestorOf(parent);
            long depth = tip.Height - forkPoint.Height;
            if (depth > Parameters.MaxReorgDepth)
                return BlockAddResult.Rejected(header, BlockRejectionReason.ReorgTooDeep,
                    $"The block's branch leaves the active chain at height {forkPoint.Height}, {depth} blocks below the tip {tip.Height}; the maximum reorg depth is {Parameters.MaxReorgDepth}.",
                    forkPoint.Height);
            _headers.Add(header.Hash, header);
            if (!Wins(header, tip))
                return BlockAddResult.SideBranch(header, forkPoint.Height);

            var connected = new BlockHeader[header.Height - forkPoint.Height];
            for (var cursor = header; cursor.Height > forkPoint.Height; cursor = _headers[cursor.PreviousHash])
                connected[cursor.Height - forkPoint.Height - 1] = cursor;
            var disconnected = new BlockHeader[depth];
            for (int i = 0; i < disconnected.Length; i++)
                disconnected[i] = _active[(int)tip.Height - i];
            _active.RemoveRange((int)forkPoint.Height + 1, (int)depth);
            _active.AddRange(connected);
            return BlockAddResult.Reorganized(header, disconnected, connected, forkPoint.Height);
        }
    }

    /// <summary>
    /// Undoes adds a failed store write did not make durable: forgets the headers <paramref name="added"/> and makes
    /// the chain ending at <paramref name="tip"/> (the tip before those adds) active again. The caller holds every
    /// writer off between the adds and this call (the chain store's write gate), so the tree is as it was before them.
    /// </summary>
    internal void Revert(BlockHeader tip, IEnumerable<Hash256> added)
    {
        ArgumentNullException.ThrowIfNull(tip);
        ArgumentNullException.ThrowIfNull(added);
        lock (_gate)
        {
            foreach (var hash in added)
                _headers.Remove(hash);
            // The old tip's ancestors are all older than the adds, so the first of them still active has only old
            // headers below it; the path above it goes back in place of whatever the adds connected.
            var path = new List<BlockHeader>();
            var cursor = tip;
            while (!IsActive(cursor))
            {
                path.Add(cursor);
                cursor = _headers[cursor.PreviousHash];
            }
            _active.RemoveRange((int)cursor.Height + 1, _active.Count - (int)cursor.Height - 1);
            path.Reverse();
            _active.AddRange(path);
        }
    }

    /// <summary>The header with <paramref name="hash"/>, or null when unknown.</summary>
    public BlockHeader? GetHeader(Hash256 hash)
    {
        lock (_gate)
            return _headers.GetValueOrDefault(hash);
    }

    /// <summary>The active-chain header at <paramref name="height"/>, or null when beyond the tip or negative.</summary>
    public BlockHeader? GetHeaderAtHeight(long height)
    {
        lock (_gate)
            return height >= 0 && height < _active.Count ? _active[(int)height] : null;
    }

    /// <summary>The active-chain hash at <paramref name="height"/>, or null when beyond the tip or negative.</summary>
    public Hash256? GetHashAtHeight(long height) => GetHeaderAtHeight(height)?.Hash;

    /// <summary>True when the header <paramref name="hash"/> is known (active chain or side branch).</summary>
    public bool Contains(Hash256 hash)
    {
        lock (_gate)
            return _headers.ContainsKey(hash);
    }

    /// <summary>True when <paramref name="hash"/> is on the active chain.</summary>
    public bool IsOnActiveChain(Hash256 hash)
    {
        lock (_gate)
            return _headers.TryGetValue(hash, out var header) && IsActive(header);
    }

    /// <summary>
    /// Every tip of the header tree (a header no known header builds on): the active tip and the tips of side branches,
    /// each with the length of its branch off the active chain (0 for the active tip). Highest first. O(headers).
    /// </summary>
    public IReadOnlyList<ChainTip> GetTips()
    {
        lock (_gate)
        {
            var parents = new HashSet<Hash256>(_headers.Values.Where(h => h.Height > 0).Select(h => h.PreviousHash));
            var tips = new List<ChainTip>();
            foreach (var header in _headers.Values.Where(h => !parents.Contains(h.Hash)))
            {
                int branch = 0;
                var cursor = header;
                while (!IsActive(cursor) && _headers.TryGetValue(cursor.PreviousHash, out var parent))
                {
                    branch++;
                    cursor = parent;
                }
                tips.Add(new ChainTip(header.Height, header.Hash, branch, IsActive(header)));
            }
            return tips.OrderByDescending(t => t.IsActive).ThenByDescending(t => t.Height).ThenBy(t => t.Hash.ToString(), StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>
    /// A block locator, Bitcoin style: hashes from the tip back to genesis, the first <see cref="LocatorDenseCount"/>
    /// consecutive, then with the gap doubling each step, always ending with genesis. About 10 + log2(height) hashes.
    /// </summary>
    public IReadOnlyList<Hash256> GetLocator()
    {
        lock (_gate)
        {
            var locator = new List<Hash256>(LocatorDenseCount + 64);
            long height = _active.Count - 1;
            long step = 1;
            while (true)
            {
                locator.Add(_active[(int)height].Hash);
                if (height == 0)
                    break;
                if (locator.Count >= LocatorDenseCount)
                    step *= 2;
                height = Math.Max(height - step, 0);
            }
            return locator;
        }
    }

    /// <summary>
    /// The highest hash of <paramref name="locator"/> that is on our active chain: the point after which a peer with
    /// that locator needs our headers. Genesis when none matches.
    /// </summary>
    public Hash256 FindForkPoint(IEnumerable<Hash256> locator)
    {
        ArgumentNullException.ThrowIfNull(locator);
        lock (_gate)
        {
            var best = _active[0];
            foreach (var hash in locator)
            {
                if (_headers.TryGetValue(hash, out var header) && IsActive(header) && header.Height > best.Height)
                    best = header;
            }
            return best.Hash;
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> active-chain headers following <paramref name="forkPoint"/>, lowest first. When the
    /// fork point is on a side branch, they follow its last ancestor on the active chain; empty when it is unknown.
    /// </summary>
    public IReadOnlyList<BlockHeader> GetHeadersAfter(Hash256 forkPoint, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        lock (_gate)
        {
            if (!_headers.TryGetValue(forkPoint, out var start))
                return [];
            start = ActiveAncestorOf(start);
            int first = (int)start.Height + 1;
            int count = Math.Min(max, _active.Count - first);
            return count <= 0 ? [] : _active.GetRange(first, count);
        }
    }

    private bool IsActive(BlockHeader header) =>
        header.Height < _active.Count && _active[(int)header.Height].Hash == header.Hash;

    private BlockHeader ActiveAncestorOf(BlockHeader header)
    {
        while (!IsActive(header))
            header = _headers[header.PreviousHash];
        return header;
    }

    private static bool Wins(BlockHeader candidate, BlockHeader tip) =>
        candidate.Height > tip.Height || (candidate.Height == tip.Height && candidate.Hash < tip.Hash);
}
