using TimeCoin.Core.Crypto;

namespace TimeCoin.Benchmarks;

/// <summary>What <see cref="ChainBenchmark.BuildAndStore"/> measured.</summary>
/// <param name="Blocks">Blocks stored above genesis.</param>
/// <param name="EncodedBytes">Sum of the blocks' encoded sizes.</param>
/// <param name="StoreSeconds">Time inside <c>ChainStore.AddBatch</c> (validate + store).</param>
/// <param name="ValidateOnlySeconds">Time of in-memory validation alone (0 when not measured).</param>
/// <param name="BuildSeconds">Time building and signing the blocks (not part of the rate).</param>
/// <param name="TipHash">Hash of the last block.</param>
/// <param name="StoreCpuSeconds">Process CPU time (all threads) spent while inside <c>ChainStore.AddBatch</c>.</param>
/// <param name="ValidateOnlyCpuSeconds">Process CPU time of the in-memory validation (0 when not measured).</param>
public sealed record ValidateStoreResult(int Blocks, long EncodedBytes, double StoreSeconds, double ValidateOnlySeconds,
    double BuildSeconds, Hash256 TipHash, double StoreCpuSeconds, double ValidateOnlyCpuSeconds)
{
    /// <summary>Process CPU time of writing the same blocks straight to a second database without validation (0 when not measured).</summary>
    public double StoreOnlyCpuSeconds { get; init; }

    /// <summary>Validate + store rate in blocks per second.</summary>
    public double BlocksPerSecond => Blocks / StoreSeconds;
}
