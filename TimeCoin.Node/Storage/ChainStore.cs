using System.Runtime.InteropServices;
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

    private ChainStore(NodeDatabase db, ChainState state, ChainStoreOptions options)
    {
        _db = db;
        State = state;
        Verifier = new ParallelBlockVerifier(state.Parameters, state.SignatureCache, options.VerificationParallelism);
    }

    /// <summary>
    /// Checks signatures (into <see cref="ChainState.SignatureCache"/>), merkle roots and encodings of blocks ahead of
    /// their sequential validation, on <see cref="ChainStoreOptions.VerificationParallelism"/> threads; sync uses it
    /// for header batches too.
    /// </summary>
    internal ParallelBlockVerifier Verifier { get; }

    /// <summary>The block tree and active chain.</summary>
    public ChainState State { get; }

    /// <summary>The chain's parameters (network, genesis, federation, limits).</summary>
    public ChainParameters Parameters => State.Parameters;

    /// <summary>
    /// Opens the chain stored in <paramref name="db"/> for <paramref name="parameters"/>, writing the genesis block
    /// on first use. Stored headers are trusted (they were validated before they were stored) and not re-verified.
    /// </summary>
    /// <exception cref="InvalidDataException">The database holds another network's chain or is inconsistent.</exception>
    public static ChainStore Open(NodeDatabase db, ChainParameters parameters) => Open(db, parameters, new ChainStoreOptions());

    /// <summary>As <see cref="Open(NodeDatabase, ChainParameters)"/>, with <paramref name="options"/> (verification parallelism).</summary>
    /// <exception cref="InvalidDataException">The database holds another network's chain or is inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static ChainStore Open(NodeDatabase db, ChainParameters parameters, ChainStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
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
        if (!ChainState.TryLoad(parameters, headers, active[^1], options.SignatureCache ?? new SignatureCache(), out var state, out var loadError))
            throw new InvalidDataException($"The stored chain in '{db.DatabasePath}' is inconsistent: {loadError}");
        return new ChainStore(db, state, options);
    }

    /// <summary>
    /// Validates and adds one block; an accepted block is durable when this returns. When storing fails the exception
    /// is passed on and nothing was added, in memory or on disk.
    /// </summary>
    public BlockAddResult Add(Block block, DateTimeOffset now) => AddBatch([block], now)[0];

    /// <summary>
    /// Validates and adds blocks in order, then commits every stored block and the resulting tip move in one
    /// transaction. Returns one result per block, in order.
    /// </summary>
    /// <remarks>
    /// All or nothing: when storing fails (the exception is passed on) the in-memory tree and tip are put back as they
    /// were before the call, so they never hold a block the disk does not. The node still treats a store failure as
    /// fatal (the sync loop and block production stop; see docs/sync.md).
    /// </remarks>
    public IReadOnlyList<BlockAddResult> AddBatch(IReadOnlyList<Block> blocks, DateTimeOffset now) => AddBatch(blocks, _ => now);

    /// <summary>
    /// As <see cref="AddBatch(IReadOnlyList{Block}, DateTimeOffset)"/>, with the validation time asked for each block
    /// from the chain as it stands before that block (a devnet validates with its tip time, see
    /// <c>ChainValidationClock</c>, which moves as the batch extends the tip).
    /// </summary>
    public IReadOnlyList<BlockAddResult> AddBatch(IReadOnlyList<Block> blocks, Func<ChainState, DateTimeOffset> now)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(now);
        lock (_writeGate)
        {
            // Signatures (and roots, encodings) are checked ahead on the other threads while this one validates in
            // order and inserts each accepted block into the open transaction: verifying overlaps writing. The blocks
            // are in the in-memory tree before the transaction commits; if anything throws, they are taken out again.
            var verification = Verifier.Start(blocks);
            var results = new BlockAddResult[blocks.Count];
            long firstChanged = long.MaxValue;
            var tipBefore = State.Tip;
            var added = new List<Hash256>();
            try
            {
                using var write = _db.BeginBlockWrite();
                for (int i = 0; i < blocks.Count; i++)
                {
                    verification.WaitFor(i);
                    var result = State.TryAdd(blocks[i], now(State));
                    results[i] = result;
                    if (result.Status is BlockAddStatus.Extended or BlockAddStatus.Reorganized or BlockAddStatus.SideBranch)
                    {
                        added.Add(blocks[i].Hash);
                        write.Insert(ToStored(blocks[i]));
                    }
                    if (result.TipChanged)
                        firstChanged = Math.Min(firstChanged, result.ForkHeight + 1);
                }
                if (write.Count == 0)
                    return results;

                ActiveChainUpdate? move = null;
                if (firstChanged != long.MaxValue)
                {
                    var hashes = new List<Hash256>((int)(State.Height - firstChanged + 1));
                    for (long h = firstChanged; h <= State.Height; h++)
                        hashes.Add(State.GetHashAtHeight(h) ?? throw new InvalidOperationException($"No active block at height {h}."));
                    move = new ActiveChainUpdate(firstChanged, hashes);
                }
                write.Commit(move);
                return results;
            }
            catch
            {
                // Nothing of this batch is on disk (its transaction rolled back): the in-memory tree forgets it too, so
                // memory and disk agree and the next write builds on what is stored.
                State.Revert(tipBefore, added);
                throw;
            }
        }
    }

    /// <summary>The encoded block with <paramref name="hash"/> (any branch), or null.</summary>
    public byte[]? GetEncodedBlock(Hash256 hash) => _db.GetBlockBody(hash);

    /// <summary>
    /// The stored encodings of <paramref name="hashes"/> (any branch) in the order asked, unknown and repeated ones skipped, at most
    /// <paramref name="maxCount"/> and, after the first, <paramref name="maxBytes"/> in all (a reply to a peer's request).
    /// </summary>
    public IReadOnlyList<byte[]> GetEncodedBlocks(IReadOnlyList<Hash256> hashes, int maxCount, long maxBytes) =>
        _db.GetBlockBodies(hashes, maxCount, maxBytes);

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

    /// <summary>The block as stored: its kept encoding (a received block's own bytes; no copy, no re-encoding).</summary>
    private static StoredBlock ToStored(Block block)
    {
        var encoded = block.Encoded;
        var body = MemoryMarshal.TryGetArray(encoded, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : encoded.ToArray();
        return new StoredBlock(block.Hash, block.Header.Height, block.Header.PreviousHash, body);
    }
}
