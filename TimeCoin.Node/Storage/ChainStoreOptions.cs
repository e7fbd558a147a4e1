namespace TimeCoin.Node.Storage;

/// <summary>Settings of a <see cref="ChainStore"/>.</summary>
public sealed record ChainStoreOptions
{
    /// <summary>
    /// Threads that verify block signatures at once while a batch is added (the adding thread included): the
    /// signatures, merkle roots and encodings of a batch are checked ahead on N - 1 thread-pool work items while the
    /// adding thread validates in order and writes to the database. 1 means everything runs inline on the adding
    /// thread and the thread pool is never used (a deterministic single-threaded simulation sets 1). Default: the
    /// number of logical processors.
    /// </summary>
    public int VerificationParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The chain's verified-signature cache; null (the default, and what production uses) gives the chain its own.
    /// The whole-network simulation hands every simulated node one cache (the node also verifies masternode
    /// heartbeats and announcements through it there), so a signature is verified once per run, not once per node.
    /// </summary>
    internal TimeCoin.Core.Chain.SignatureCache? SignatureCache { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate() =>
        ArgumentOutOfRangeException.ThrowIfLessThan(VerificationParallelism, 1, nameof(VerificationParallelism));
}
