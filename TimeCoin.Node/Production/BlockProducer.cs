using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Production;

/// <summary>
/// Produces this node's blocks on the proof-of-authority schedule. At each slot boundary (on the injected
/// <see cref="TimeProvider"/>) it checks whether the slot's scheduled producer is one of the federation keys the
/// node holds; if so, and the node has peers and is not behind the best peer (see <see cref="IProductionGate"/>), it
/// builds the block on the current tip with <see cref="BlockFactory"/>, adds it through <see cref="ChainStore"/>
/// (durable when added) and raises <see cref="BlockProduced"/> so the node announces it.
/// </summary>
/// <remarks>
/// Rules: a slot is handled at most once (never two blocks for one slot, even when the chain store refused the
/// first); a slot whose start is more than <see cref="ChainParameters.FutureToleranceSeconds"/> in the past is
/// skipped as stale; slot 0 is genesis and never produced. Devnet only, <see cref="Generate"/> produces blocks at
/// once, ignoring the wall clock and the peers (like Bitcoin's regtest <c>generate</c>). Thread-safe: slot handling
/// and generation serialize on one lock. The keys are used, not owned: the caller disposes them.
/// <para>A failed block write (the chain store threw: disk full, I/O error) stops production for good, as it stops
/// the sync loop: the call that hit it throws, <see cref="RunAsync"/> ends with that error (the node raises
/// <c>store_failing</c> and stops), later slots are <see cref="ProductionOutcome.Failed"/> and <see cref="Generate"/>
/// refuses. The store itself stays consistent (<see cref="ChainStore.AddBatch(IReadOnlyList{Block}, DateTimeOffset)"/>
/// adds nothing when it fails), so a restart goes on from the last stored block.</para>
/// </remarks>
public sealed class BlockProducer
{
    /// <summary>The most blocks one <see cref="Generate"/> call produces (as time-cli's <c>generate</c> accepts).</summary>
    public const int MaxGenerateCount = 10_000;

    private const int GenerateBatchSize = 500;

    private readonly ChainStore _chain;
    private readonly IProductionGate _gate;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<IReadOnlyList<byte[]>> _payloadSource;
    private readonly Dictionary<PublicKey, KeyPair> _keys = [];
    private readonly Lock _lock = new();
    private ulong _lastHandledSlot;
    private readonly CancellationTokenSource _storeFailed = new();
    private ChainStoreFailedException? _storeFailure;

    /// <summary>Creates a producer.</summary>
    /// <param name="chain">The chain to extend.</param>
    /// <param name="keys">The keys this node holds; those in the federation produce, others are ignored.</param>
    /// <param name="gate">Peer count and best peer height.</param>
    /// <param name="time">The clock that defines slot boundaries.</param>
    /// <param name="payloadSource">The transactions to put in the next block; no transactions when null.</param>
    /// <param name="logger">Optional.</param>
    public BlockProducer(ChainStore chain, IEnumerable<KeyPair> keys, IProductionGate gate, TimeProvider time,
        Func<IReadOnlyList<byte[]>>? payloadSource = null, ILogger<BlockProducer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(time);
        _chain = chain;
        _gate = gate;
        _time = time;
        _payloadSource = payloadSource ?? (static () => []);
        _logger = logger ?? NullLogger<BlockProducer>.Instance;
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            if (chain.Parameters.Schedule.IsMember(key.PublicKey))
                _keys[key.PublicKey] = key;
        }
    }

    /// <summary>Raised after each block this producer added to the chain (slot loop and <see cref="Generate"/>),
    /// outside the producer's lock, in chain order. The node announces the block to its peers.</summary>
    public event Action<Block>? BlockProduced;

    /// <summary>Raised after each slot the loop (or <see cref="TryProduceSlot"/>) handled, whatever the outcome.</summary>
    public event Action<ProductionResult>? SlotHandled;

    /// <summary>The federation keys this node holds, sorted.</summary>
    public IReadOnlyList<PublicKey> ProducerKeys => _keys.Keys.Order().ToList();

    /// <summary>True when the node holds at least one federation key, so it has slots to produce.</summary>
    public bool IsFederationMember => _keys.Count > 0;

    /// <summary>True when <see cref="Generate"/> is allowed: the chain is a devnet.</summary>
    public bool CanGenerate => _chain.Parameters.NetworkMagic == ChainParameters.DevnetMagic;

    /// <summary>
    /// Runs the slot loop until cancelled: handles the slot in progress (if not stale), then wakes at each slot
    /// boundary. A slot missed because the process was paused is skipped; the slot in progress after the pause is
    /// handled (and skipped as stale if it started too long ago). Failures are logged and the loop goes on, except a
    /// failed block write (here or in <see cref="Generate"/>): the loop then ends, faulted with that error, for the
    /// node to treat as it treats the sync loop's (alert, stop).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var schedule = _chain.Parameters.Schedule;
        ulong target = schedule.SlotAt(_time.GetUtcNow());
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _storeFailed.Token);
        while (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfStoreFailed();
            if (!schedule.TryGetSlotTimestamp(target, out long start))
                return;
            var delay = DateTimeOffset.FromUnixTimeSeconds(start) - _time.GetUtcNow();
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, _time, wake.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue; // the store failed (Generate): end with its error
                }
            }
            try
            {
                TryProduceSlot(target);
            }
            catch (ChainStoreFailedException)
            {
                throw;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Block production for slot {Slot} failed", target);
            }
            ulong current = schedule.SlotAt(_time.GetUtcNow());
            target = Math.Max(target + 1, current);
        }
    }

    private void ThrowIfStoreFailed()
    {
        if (Volatile.Read(ref _storeFailure) is { } failure)
            throw new ChainStoreFailedException(failure.Message, failure.InnerException!);
    }

    /// <summary>Records a failed block write (the first one counts) and wakes <see cref="RunAsync"/> to end with it.
    /// Called outside the producer's lock (cancelling runs the loop's continuation).</summary>
    private ChainStoreFailedException OnStoreFailed(ChainStoreFailedException failure)
    {
        if (Interlocked.CompareExchange(ref _storeFailure, failure, null) is null)
        {
            _logger.LogCritical(failure.InnerException, "Storing a produced block failed; block production stops (restart the node)");
            _storeFailed.Cancel();
        }
        return failure;
    }

    /// <summary>
    /// Handles one slot now: produces its block if every rule allows (see <see cref="ProductionOutcome"/> for each
    /// reason not to). Raises <see cref="SlotHandled"/>, and <see cref="BlockProduced"/> when a block was added.
    /// Once a block write failed, every slot is <see cref="ProductionOutcome.Failed"/>.
    /// </summary>
    /// <remarks>A failed block write throws the store's error (wrapped): the block was not added, and production
    /// stops.</remarks>
    public ProductionResult TryProduceSlot(ulong slot)
    {
        ProductionResult result;
        ChainStoreFailedException? failure = null;
        lock (_lock)
        {
            try
            {
                result = HandleSlotLocked(slot);
            }
            catch (ChainStoreFailedException e)
            {
                failure = e;
                result = default!;
            }
        }
        if (failure is not null)
            throw OnStoreFailed(failure);
        if (result.Outcome == ProductionOutcome.Produced)
        {
            _logger.LogInformation("Produced block {Height} {Hash} for slot {Slot}", result.Block!.Header.Height, result.Block.Hash, slot);
            BlockProduced?.Invoke(result.Block);
        }
        else if (result.Outcome is ProductionOutcome.Failed or ProductionOutcome.Stale or ProductionOutcome.Behind or ProductionOutcome.NoPeers)
        {
            _logger.LogWarning("Slot {Slot} not produced ({Outcome}): {Message}", slot, result.Outcome, result.Message);
        }
        SlotHandled?.Invoke(result);
        return result;
    }

    /// <summary>
    /// Devnet only: produces <paramref name="count"/> blocks at once on the current tip, signing each with the
    /// scheduled producer's key. Slots start at <c>max(tip slot + 1, slot of now)</c> and run ahead of the wall clock
    /// as needed; slots whose producer key the node does not hold are left empty (a devnet launcher holds every
    /// key, so there are none). Peers and wall clock are ignored. Returns the blocks in chain order; all are durable
    /// and on the active chain, and each is announced (<see cref="BlockProduced"/>).
    /// </summary>
    /// <remarks>
    /// The sync loop may connect a peer's block while the blocks are built (after the tip was read): the generated
    /// blocks then form a branch of their own, and they count when fork choice makes them active (as it does when they
    /// outnumber the peer's). When it does not, the call throws; blocks of earlier batches that are active are
    /// announced all the same. A failed block write throws the store's error (wrapped) and stops production, as in
    /// <see cref="TryProduceSlot"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not a devnet, the node holds no federation key, production stopped
    /// after a failed block write, or the chain did not make a generated block active.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not 1 to <see cref="MaxGenerateCount"/>.</exception>
    public IReadOnlyList<Block> Generate(int count)
    {
        if (!CanGenerate)
            throw new InvalidOperationException($"generate is only available on devnet; this node runs {_chain.Parameters.NetworkName}.");
        if (count < 1 || count > MaxGenerateCount)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be 1 to {MaxGenerateCount}.");
        if (_keys.Count == 0)
            throw new InvalidOperationException("generate needs a federation key: this node holds none of the devnet's producer keys.");

        var produced = new List<Block>(count);
        Exception? failure = null;
        lock (_lock)
        {
            if (Volatile.Read(ref _storeFailure) is { } stopped)
                throw new InvalidOperationException($"generate: block production stopped after a failed block write ({stopped.Message}); restart the node.");
            var parameters = _chain.Parameters;
            var schedule = parameters.Schedule;
            var wallNow = _time.GetUtcNow();
            var parent = _chain.State.Tip;
            ulong from = Math.Max(Math.Max(parent.Slot, _lastHandledSlot) + 1, schedule.SlotAt(wallNow));
            while (produced.Count < count && failure is null)
            {
                int batchSize = Math.Min(GenerateBatchSize, count - produced.Count);
                var batch = new List<Block>(batchSize);
                while (batch.Count < batchSize)
                {
                    var (slot, key) = NextOwnSlot(from);
                    var block = BlockFactory.Create(parameters, parent, slot, key, _payloadSource());
                    batch.Add(block);
                    parent = block.Header;
                    from = slot + 1;
                }
                // Signed: these slots are used, whatever the chain makes of the blocks (never two blocks for one slot).
                _lastHandledSlot = parent.Slot;
                var lastTime = DateTimeOffset.FromUnixTimeSeconds(parent.Timestamp);
                IReadOnlyList<BlockAddResult> results;
                try
                {
                    results = _chain.AddBatch(batch, lastTime > wallNow ? lastTime : wallNow);
                }
                catch (Exception e)
                {
                    failure = new ChainStoreFailedException($"generate: storing {batch.Count} generated blocks failed: {e.Message}", e);
                    break;
                }
                // Extended, or (the tip moved meanwhile) Reorganized / SideBranch: what counts is that the chain made
                // them active. Those that are not were stored as a side branch and are neither returned nor announced.
                int active = 0;
                while (active < batch.Count && _chain.State.IsOnActiveChain(batch[active].Hash))
                    active++;
                produced.AddRange(batch.Take(active));
                if (active < batch.Count)
                    failure = new InvalidOperationException($"generate: the chain did not make generated block {batch[active].Header} active: {results[active]}");
            }
        }
        if (produced.Count > 0)
        {
            _logger.LogInformation("Generated {Count} blocks up to height {Height}", produced.Count, produced[^1].Header.Height);
            foreach (var block in produced)
                BlockProduced?.Invoke(block);
        }
        if (failure is ChainStoreFailedException storeFailure)
            throw OnStoreFailed(storeFailure);
        if (failure is not null)
            throw failure;
        return produced;
    }

    private (ulong Slot, KeyPair Key) NextOwnSlot(ulong from)
    {
        var schedule = _chain.Parameters.Schedule;
        ulong? best = null;
        KeyPair? bestKey = null;
        foreach (var (publicKey, key) in _keys)
        {
            if (schedule.NextSlotFor(publicKey, from) is { } slot && (best is null || slot < best))
            {
                best = slot;
                bestKey = key;
            }
        }
        return best is { } found ? (found, bestKey!) : throw new InvalidOperationException("No producible slot fits in 64 bits.");
    }

    private ProductionResult HandleSlotLocked(ulong slot)
    {
        var parameters = _chain.Parameters;
        var schedule = parameters.Schedule;
        if (slot == 0)
            return new ProductionResult(slot, ProductionOutcome.SlotTaken, null, "slot 0 is the genesis block's");
        var producer = schedule.ProducerOf(slot);
        if (!_keys.TryGetValue(producer, out var key))
            return new ProductionResult(slot, ProductionOutcome.NotOurSlot, null, $"slot {slot} belongs to {producer.ToShortString()}");
        if (Volatile.Read(ref _storeFailure) is { } stopped)
            return new ProductionResult(slot, ProductionOutcome.Failed, null, $"block production stopped after a failed block write ({stopped.Message})");
        if (slot <= _lastHandledSlot)
            return new ProductionResult(slot, ProductionOutcome.SlotTaken, null, $"slot {slot} was already handled (last handled {_lastHandledSlot})");
        var tip = _chain.State.Tip;
        if (tip.Slot >= slot)
            return new ProductionResult(slot, ProductionOutcome.SlotTaken, null, $"the tip {tip} is already at or past slot {slot}");
        if (!schedule.TryGetSlotTimestamp(slot, out long start))
            return new ProductionResult(slot, ProductionOutcome.TooEarly, null, $"slot {slot} is beyond any representable time");

        var now = _time.GetUtcNow();
        long nowSeconds = now.ToUnixTimeSeconds();
        long tolerance = parameters.FutureToleranceSeconds;
        if (nowSeconds - start > tolerance)
            return new ProductionResult(slot, ProductionOutcome.Stale, null, $"slot {slot} started {nowSeconds - start} s ago, more than the {tolerance} s tolerance");
        if (start - nowSeconds > tolerance)
            return new ProductionResult(slot, ProductionOutcome.TooEarly, null, $"slot {slot} starts in {start - nowSeconds} s");
        if (_gate.PeerCount <= 0 && !_gate.IsSingleNodeDevnet)
            return new ProductionResult(slot, ProductionOutcome.NoPeers, null, "no peer is connected; producing alone would fork the network");
        long best = _gate.BestPeerHeight;
        if (best > tip.Height)
            return new ProductionResult(slot, ProductionOutcome.Behind, null, $"a peer is at height {best}, we are at {tip.Height}; syncing first");

        // From here on the slot counts as handled: whatever happens, no second block is built for it.
        _lastHandledSlot = slot;
        var block = BlockFactory.Create(parameters, tip, slot, key, _payloadSource());
        BlockAddResult added;
        try
        {
            added = _chain.Add(block, ChainValidationClock.For(_chain.State, now));
        }
        catch (Exception e)
        {
            throw new ChainStoreFailedException($"storing our block for slot {slot} failed: {e.Message}", e);
        }
        return added.Status == BlockAddStatus.Extended
            ? new ProductionResult(slot, ProductionOutcome.Produced, block, $"produced {block.Header}")
            : new ProductionResult(slot, ProductionOutcome.Failed, null, $"the chain did not take our block for slot {slot}: {added}");
    }
}
