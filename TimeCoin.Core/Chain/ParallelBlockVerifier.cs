namespace TimeCoin.Core.Chain;

/// <summary>
/// Does the expensive, independent part of validating a run of blocks ahead of <see cref="ChainState.TryAdd"/> on
/// several threads: each block's Ed25519 signature (into the chain's <see cref="SignatureCache"/>), its payload merkle
/// root and its encoding. The sequential <see cref="ChainState.TryAdd"/> then finds the signature in the cache and
/// the root and encoding already made, so one thread adding blocks in order (and writing them to storage) keeps
/// every core verifying. Validation itself is unchanged: a block whose signature did not verify is not cached, so
/// <see cref="ChainState.TryAdd"/> verifies it again and rejects it exactly as without this step.
/// </summary>
/// <remarks>
/// <para>With <see cref="Parallelism"/> 1 nothing is done ahead and no thread pool is used: every check runs inline
/// on the caller's thread inside <see cref="ChainState.TryAdd"/>, as a deterministic single-threaded simulation
/// needs. With N above 1, N - 1 work items run on the .NET thread pool and the caller's thread helps while it waits.
/// Only blocks whose producer is the slot's scheduled producer are verified ahead (cheap checks first, as in
/// <see cref="BlockValidator"/>), so garbage costs no more than it does in the sequential path.</para>
/// </remarks>
internal sealed class ParallelBlockVerifier
{
    private readonly ChainParameters _parameters;
    private readonly SignatureCache _signatures;

    /// <summary>Creates a verifier for one chain.</summary>
    /// <param name="parameters">The chain's parameters (schedule, limits).</param>
    /// <param name="signatures">The chain's signature cache (<see cref="ChainState.SignatureCache"/>).</param>
    /// <param name="parallelism">Threads that verify at once, the caller's included; 1 means inline on the caller's
    /// thread, no thread pool.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parallelism"/> below 1.</exception>
    public ParallelBlockVerifier(ChainParameters parameters, SignatureCache signatures, int parallelism)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _parameters = parameters;
        _signatures = signatures;
        Parallelism = parallelism;
    }

    /// <summary>Threads that verify at once, the caller's included (1: inline, no thread pool).</summary>
    public int Parallelism { get; }

    /// <summary>
    /// Starts checking <paramref name="blocks"/> ahead. Call <see cref="BlockVerificationRun.WaitFor"/> for block i
    /// before adding it; the blocks must not change while the run is in progress.
    /// </summary>
    public BlockVerificationRun Start(IReadOnlyList<Block> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return Parallelism == 1 || blocks.Count == 0
            ? BlockVerificationRun.Inline
            : new BlockVerificationRun(this, blocks, Math.Min(Parallelism - 1, blocks.Count - 1));
    }

    /// <summary>
    /// Verifies the signatures of <paramref name="headers"/> whose producer is the slot's scheduled producer, on
    /// <see cref="Parallelism"/> threads, into the signature cache, and returns when all are done; the caller's own
    /// sequential checks then hit the cache. At the first header that fails, no further ones are started (a peer's
    /// forged batch costs at most one verification per thread more than checking in order). With parallelism 1 it
    /// does nothing (the caller's checks verify inline).
    /// </summary>
    public void VerifyHeaders(IReadOnlyList<BlockHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (Parallelism == 1 || headers.Count < 2)
            return;
        var run = new BlockVerificationRun(this, headers, Math.Min(Parallelism - 1, headers.Count - 1));
        run.WaitForAll();
    }

    /// <summary>The work for one block: merkle root, signature (only when the root matches and the producer is
    /// scheduled), encoding. False when the block will be rejected (the run then stops taking new items, so a bad
    /// batch costs at most one verification per thread more than the sequential path). Never throws: whatever fails
    /// here is found again, and reported, by the sequential validation.</summary>
    internal bool Prepare(Block block)
    {
        try
        {
            var header = block.Header;
            if (block.EncodedSize > _parameters.Limits.MaxBlockBytes || block.PayloadMerkleRoot != header.MerkleRoot)
                return false;
            if (!PrepareHeader(header))
                return false;
            _ = block.EncodedArray;
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>The work for one header: its signature, when the producer is the slot's scheduled one. False when
    /// the header will be rejected.</summary>
    internal bool PrepareHeader(BlockHeader header)
    {
        try
        {
            if (header.NetworkMagic != _parameters.NetworkMagic)
                return false;
            var expected = _parameters.Schedule.ProducerOf(header.Slot);
            return header.Producer == expected && _signatures.Verify(header, expected);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
