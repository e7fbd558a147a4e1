using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Storage;

/// <summary>
/// The node's chain: the in-memory block tree (<see cref="ChainState"/>, headers only) backed by the durable
/// store (<see cref="NodeDatabase"/>, headers and bodies). Every accepted block is committed together with the
/// tip move it causes, so what a caller was told is accepted survives a crash.
/// </summary>
/// <remarks>
/// One writer at a time: <see cref="Add"/> and <see cref="AddBatch(IReadOnlyList{Block}, DateTimeOffset)"/> serialize. Reads of the tip and headers go to
/// <see cref="State"/>, which is safe to read concurrently.
/// </remarks>
public sealed class ChainStore
{
    private readonly NodeDatabase _db;
    private readonly object _writeGate = new();

    private ChainStore(NodeDatabase db, ChainState state)
    {
        _db = db;
        State = state;
    }

    /// <summary>The block tree and active chain.</summary>
    public ChainState State { get; }

    /// <summary>The chain's parameters (network, genesis, federation, limits).</summary>
    public ChainParameters Parameters => State.Parameters;

    /// <summary>
    /// Opens the chain stored in <paramref name="db"/> for <paramref name="parameters"/>, writing the genesis block
    /// on first use. Stored headers are trusted (they were validated before they were stored) and not re-verified.
    /// </summary>
    /// <exception cref="InvalidDataException">The database holds another network's chain or is inconsistent.</exception>
    public static ChainStore Open(NodeDatabase db, ChainParameters parameters)
    {
        var genesis = parameters.GenesisBlock;
        var stored = db.GetActiveHash(0);
        if (stored is null)
        {
            db.StoreBlocks([ToStored(genesis)], new ActiveChainUpdate(0, [genesis.Hash]));
        }
        else if (stored.Value != genesis.Hash)
        {
            throw new InvalidDataException(
                $"The database '{db.DatabasePath}' holds a chain with genesis {stored.Value}, not {parameters.NetworkName}'s genesis {genesis.Hash}. " +
                "Use a separate data directory for each network.");
        }

        var active = db.LoadActiveChain();
        var headers = new List<BlockHeader>();
        foreach (var bytes in db.LoadAllHeaders())
        {
            if (!BlockCodec.TryDecodeHeader(bytes, out var header, out var error))
                throw new InvalidDataException($"A stored header in '{db.DatabasePath}' does not decode: {error}");
            headers.Add(header);
        }
        if (!ChainState.TryLoad(parameters, headers, active[^1], out var state, out var loadError))
            throw new InvalidDataException($"The stored chain in '{db.DatabasePath}' is inconsistent: {loadError}");
        return new ChainStore(db, state);
    }

    /// <summary>Validates and adds one block; an accepted block is durable when this returns.</summary>
    public BlockAddResult Add(Block block, DateTimeOffset now) => AddBatch([block], now)[0];

    /// <summary>
    /// Validates and adds blocks in order, then commits every stored block and the resulting tip move in one
    /// transaction. Returns one result per block, in order.
    /// </summary>
    public IReadOnlyList<BlockAddResult> AddBatch(IReadOnlyList<Block> blocks, DateTimeOffset now) => AddBatch(blocks, _ => now);

    /// <summary>
    /// As <see cref="AddBatch(IReadOnlyList{Block}, DateTimeOffset)"/>, with the validation time asked for each block
    /// from the chain as it stands before that block (a devnet validates with its tip time, see
    /// <c>ChainValidationClock</c>, which moves as the batch extends the tip).
    /// </summary>
    public IReadOnlyList<BlockAddResult> AddBatch(IReadOnlyList<Block> blocks, Func<ChainState, DateTimeOffset> now)
    {
        lock (_writeGate)
        {
            var results = new BlockAddResult[blocks.Count];
            var toStore = new List<StoredBlock>(blocks.Count);
            long firstChanged = long.MaxValue;
            for (int i = 0; i < blocks.Count; i++)
            {
                var result = State.TryAdd(blocks[i], now(State));
                results[i] = result;
                if (result.Status is BlockAddStatus.Extended or BlockAddStatus.Reorganized or BlockAddStatus.SideBranch)
                    toStore.Add(ToStored(blocks[i]));
                if (result.TipChanged)
                    firstChanged = Math.Min(firstChanged, result.ForkHeight + 1);
            }
            if (toStore.Count == 0)
                return results;

            ActiveChainUpdate? move = null;
            if (firstChanged != long.MaxValue)
            {
                var hashes = new List<Hash256>((int)(State.Height - firstChanged + 1));
                for (long h = firstChanged; h <= State.Height; h++)
                    hashes.Add(State.GetHashAtHeight(h) ?? throw new InvalidOperationException($"No active block at height {h}."));
                move = new ActiveChainUpdate(firstChanged, hashes);
            }
            // If this throws the in-memory tree is ahead of the disk; the node treats that as fatal and stops,
            // and the restart reloads the last committed state.
            _db.StoreBlocks(toStore, move);
            return results;
        }
    }

    /// <summary>The encoded block with <paramref name="hash"/> (any branch), or null.</summary>
    public byte[]? GetEncodedBlock(Hash256 hash) => _db.GetBlockBody(hash);

    /// <summary>The block with <paramref name="hash"/> (any branch), or null.</summary>
    public Block? GetBlock(Hash256 hash)
    {
        var bytes = _db.GetBlockBody(hash);
        if (bytes is null)
            return null;
        return BlockCodec.TryDecode(bytes, Parameters.Limits, out var block, out var error)
            ? block
            : throw new InvalidDataException($"Stored block {hash} does not decode: {error}");
    }

    private static StoredBlock ToStored(Block block) =>
        new(block.Hash, block.Header.Height, block.Header.PreviousHash, BlockCodec.EncodeHeader(block.Header), BlockCodec.Encode(block));
}
