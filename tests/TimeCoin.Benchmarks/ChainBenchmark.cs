using System.Diagnostics;
using System.Security.Cryptography;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Storage;

namespace TimeCoin.Benchmarks;

/// <summary>
/// Validate+store throughput: N signed blocks with a payload each go through <see cref="ChainStore.AddBatch"/>
/// (full validation incl. Ed25519, SQLite commit per batch) on a fresh data directory, timed with a Stopwatch
/// that is paused while the next batch is built and signed. Printed beside the raw Ed25519 verify rate measured in
/// the same process, with their ratio.
/// </summary>
public static class ChainBenchmark
{
    private static readonly HashSet<string> Options = ["--blocks", "--batch", "--payload", "--datadir", "--parallelism"];

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        BenchmarkArguments parsed;
        int blocks, batchSize, payloadBytes, parallelism;
        try
        {
            parsed = BenchmarkArguments.Parse(args, Options);
            blocks = parsed.GetPositiveInt("--blocks", 100_000);
            batchSize = parsed.GetPositiveInt("--batch", 500);
            payloadBytes = parsed.GetPositiveInt("--payload", 1024);
            parallelism = parsed.GetPositiveInt("--parallelism", Environment.ProcessorCount);
        }
        catch (ArgumentException e)
        {
            error.WriteLine("chain: " + e.Message);
            return 2;
        }

        var ownDir = parsed.GetString("--datadir") is null;
        var dataDir = parsed.GetString("--datadir") ?? Path.Combine(Path.GetTempPath(), "timecoin-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            output.WriteLine($"chain benchmark: {blocks:N0} blocks, {payloadBytes} B payload, {batchSize} blocks per transaction, verification parallelism {parallelism}, data dir {dataDir}");
            output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            output.WriteLine($"load average before: {MachineLoad.Describe()}");
            var verify = Ed25519Rate.Measure(TimeSpan.FromSeconds(3));
            output.WriteLine($"ed25519 verify:          {verify.SingleThread,12:N0} verifies/s single thread, {verify.AllCores,10:N0} verifies/s on {verify.Threads} threads, {verify.CpuMicrosecondsPerVerify:F1} µs CPU per verify");
            RunChain(output, dataDir, blocks, batchSize, payloadBytes, parallelism, verify);
            var after = Ed25519Rate.Measure(TimeSpan.FromSeconds(2));
            output.WriteLine($"ed25519 verify (again):  {after.SingleThread,12:N0} verifies/s single thread, {after.AllCores,10:N0} verifies/s on {after.Threads} threads (machine noise check)");
            output.WriteLine($"load average after:  {MachineLoad.Describe()}");
            return 0;
        }
        finally
        {
            if (ownDir)
            {
                try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
            }
        }
    }

    private static void RunChain(TextWriter output, string dataDir, int blockCount, int batchSize, int payloadBytes, int parallelism,
        Ed25519Rate verify)
    {
        using var producer = KeyPair.FromPrivateKey(SHA256.HashData("bench producer"u8));
        var parameters = ChainParameters.CreateDevnet([producer.PublicKey], genesisTime: 1_700_000_000, blockTimeSeconds: 1);
        var run = BuildAndStore(dataDir, parameters, producer, blockCount, batchSize, payloadBytes, measureValidationAlone: true, parallelism);
        long bytes = run.EncodedBytes;
        double seconds = run.StoreSeconds;
        double rate = blockCount / seconds;
        output.WriteLine($"validate+store:          {rate,12:N0} blocks/s ({seconds:F2} s for {blockCount:N0} blocks)");
        output.WriteLine($"validate+store bytes:    {bytes / seconds / 1_048_576,12:F1} MiB/s ({bytes / 1_048_576.0:F1} MiB of encoded blocks)");
        output.WriteLine($"process CPU per block:   {run.StoreCpuSeconds / blockCount * 1e6,12:F1} µs ({run.StoreCpuSeconds:F2} s CPU in {seconds:F2} s: {run.StoreCpuSeconds / seconds:F2} cores busy)");
        output.WriteLine($"ratio to all-cores verify: {rate / verify.AllCores,10:P1} (blocks/s ÷ verifies/s on {verify.Threads} threads; target ≥ 90 %)");
        output.WriteLine($"CPU ratio:                 {verify.CpuMicrosecondsPerVerify / (run.StoreCpuSeconds / blockCount * 1e6),10:P1} (CPU per verify ÷ CPU per stored block: the all-cores ratio a machine with idle cores would reach)");
        output.WriteLine($"ratio to 1-thread verify:  {rate / verify.SingleThread,10:P1} (blocks/s ÷ single-thread verifies/s)");
        output.WriteLine($"  of which validation:   {blockCount / run.ValidateOnlySeconds,12:N0} blocks/s alone (ChainState.TryAdd without storage, one thread, {run.ValidateOnlySeconds:F2} s, " +
            $"{run.ValidateOnlyCpuSeconds / blockCount * 1e6:F1} µs CPU per block, signatures verified again in its own cache; the blocks' merkle roots and encodings were already made by the store)");
        output.WriteLine($"build+sign (not timed):  {blockCount / run.BuildSeconds,12:N0} blocks/s");
        // The ceiling on two (or N) cores, from CPU costs measured in this run: every core busy, each block costs one
        // signature verification plus the rest of validation plus its SQLite write, so blocks/s ÷ all-cores verifies/s
        // can reach at most verify ÷ (verify + rest + store).
        double sig = verify.CpuMicrosecondsPerVerify;
        double validation = run.ValidateOnlyCpuSeconds / blockCount * 1e6; // its own ChainState, own signature cache: verifies too
        double rest = Math.Max(0, validation - sig);
        double sqlite = run.StoreOnlyCpuSeconds / blockCount * 1e6;
        double measured = run.StoreCpuSeconds / blockCount * 1e6;
        output.WriteLine($"CPU per block, parts:    signature {sig:F1} µs + other validation {rest:F1} µs (validation alone {validation:F1} µs minus the signature) + SQLite write {sqlite:F1} µs (the same blocks, no validation) = {sig + rest + sqlite:F1} µs; measured in AddBatch {measured:F1} µs");
        output.WriteLine($"ceiling with every core busy: {sig / (sig + rest + sqlite),8:P1} of the all-cores verify rate from the parts ({sig / measured:P1} from the measured AddBatch CPU); 90 % needs all other work ≤ {sig / 9:F1} µs per block");
        output.WriteLine($"| {DateTime.UtcNow:yyyy-MM-dd HH:mm} | {MachineLoad.Describe()} | {blockCount:N0} | {parallelism} | {verify.SingleThread:N0} | {verify.AllCores:N0} | {rate:N0} | {rate / verify.AllCores:P0} | {rate / verify.SingleThread:P0} | {run.StoreCpuSeconds / blockCount * 1e6:F0} µs | {verify.CpuMicrosecondsPerVerify:F0} µs | {verify.CpuMicrosecondsPerVerify / (run.StoreCpuSeconds / blockCount * 1e6):P0} |");

        var reopen = Stopwatch.StartNew();
        using (var db = NodeDatabase.Open(dataDir))
        {
            var chain = ChainStore.Open(db, parameters);
            reopen.Stop();
            output.WriteLine($"reopen (load headers):   {reopen.Elapsed.TotalSeconds,12:F2} s for height {chain.State.Height:N0}");
        }
        var dbFile = new FileInfo(Path.Combine(dataDir, NodeDatabase.FileName));
        output.WriteLine($"database size:           {dbFile.Length / 1_048_576.0,12:F1} MiB");
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        output.WriteLine($"peak working set:        {self.PeakWorkingSet64 / 1_048_576.0,12:F1} MiB");
    }

    /// <summary>
    /// Builds a <paramref name="blockCount"/>-block chain signed by <paramref name="producer"/> (one
    /// <paramref name="payloadBytes"/>-byte transaction per block) and stores it in <paramref name="dataDir"/> through
    /// <see cref="ChainStore.AddBatch"/> in batches of <paramref name="batchSize"/>, timing only the AddBatch calls.
    /// The database is closed (and its WAL checkpointed) when this returns.
    /// </summary>
    /// <param name="dataDir">A fresh data directory.</param>
    /// <param name="parameters">A chain whose only federation key is <paramref name="producer"/>'s, with 1-second slots.</param>
    /// <param name="producer">Signs every block.</param>
    /// <param name="blockCount">Blocks above genesis.</param>
    /// <param name="batchSize">Blocks per AddBatch (one SQLite transaction).</param>
    /// <param name="payloadBytes">Size of each block's one transaction.</param>
    /// <param name="measureValidationAlone">Also run each batch through an in-memory <see cref="ChainState"/> (validation without storage).</param>
    /// <param name="parallelism">The store's <see cref="ChainStoreOptions.VerificationParallelism"/>.</param>
    public static ValidateStoreResult BuildAndStore(string dataDir, ChainParameters parameters, KeyPair producer, int blockCount,
        int batchSize, int payloadBytes, bool measureValidationAlone, int parallelism)
    {
        TimeSpan storeCpu = TimeSpan.Zero, validateCpu = TimeSpan.Zero, storeOnlyCpu = TimeSpan.Zero;
        using var self = Process.GetCurrentProcess();
        var build = new Stopwatch();
        var store = new Stopwatch();
        var validateOnly = new Stopwatch();
        var memoryChain = measureValidationAlone ? new ChainState(parameters) : null;
        // The same blocks written straight to a second database (no validation): the SQLite share of a block's CPU.
        var storeOnlyDir = Path.Combine(dataDir, "store-only");
        if (measureValidationAlone)
            Directory.CreateDirectory(storeOnlyDir);
        using var storeOnly = measureValidationAlone ? NodeDatabase.Open(storeOnlyDir) : null;
        if (storeOnly is not null)
            ChainStore.Open(storeOnly, parameters);
        long bytes = 0;
        Hash256 tip;
        using (var db = NodeDatabase.Open(dataDir))
        {
            var chain = ChainStore.Open(db, parameters, new ChainStoreOptions { VerificationParallelism = parallelism });
            var parent = chain.State.Tip;
            var batch = new List<Block>(batchSize);
            int done = 0;
            while (done < blockCount)
            {
                build.Start();
                batch.Clear();
                int n = Math.Min(batchSize, blockCount - done);
                for (int i = 0; i < n; i++)
                {
                    var payload = new byte[payloadBytes];
                    BitConverter.TryWriteBytes(payload, parent.Height + 1);
                    var block = BlockFactory.Create(parameters, parent, parent.Slot + 1, producer, [payload]);
                    bytes += block.EncodedSize;
                    batch.Add(block);
                    parent = block.Header;
                }
                build.Stop();

                self.Refresh();
                var cpuBefore = self.TotalProcessorTime;
                store.Start();
                var results = chain.AddBatch(batch, DateTimeOffset.FromUnixTimeSeconds(parent.Timestamp));
                store.Stop();
                self.Refresh();
                storeCpu += self.TotalProcessorTime - cpuBefore;
                foreach (var result in results)
                {
                    if (result.Status != BlockAddStatus.Extended)
                        throw new InvalidOperationException($"Block {result.Header} was not accepted: {result}");
                }
                if (memoryChain is not null)
                {
                    // The same batch through an in-memory ChainState: validation (and fork choice) without storage.
                    self.Refresh();
                    var validateCpuBefore = self.TotalProcessorTime;
                    validateOnly.Start();
                    foreach (var block in batch)
                        memoryChain.TryAdd(block, DateTimeOffset.FromUnixTimeSeconds(parent.Timestamp));
                    validateOnly.Stop();
                    self.Refresh();
                    validateCpu += self.TotalProcessorTime - validateCpuBefore;

                    var rows = batch.Select(b => new StoredBlock(b.Hash, b.Header.Height, b.Header.PreviousHash, b.Encoded.ToArray())).ToList();
                    self.Refresh();
                    var storeOnlyCpuBefore = self.TotalProcessorTime;
                    storeOnly!.StoreBlocks(rows, new ActiveChainUpdate(rows[0].Height, rows.Select(r => r.Hash).ToList()));
                    self.Refresh();
                    storeOnlyCpu += self.TotalProcessorTime - storeOnlyCpuBefore;
                }
                done += n;
            }
            if (chain.State.Height != blockCount)
                throw new InvalidOperationException($"Expected height {blockCount}, got {chain.State.Height}.");
            tip = chain.State.TipHash;
        }
        return new ValidateStoreResult(blockCount, bytes, store.Elapsed.TotalSeconds, validateOnly.Elapsed.TotalSeconds,
            build.Elapsed.TotalSeconds, tip, storeCpu.TotalSeconds, validateCpu.TotalSeconds) { StoreOnlyCpuSeconds = storeOnlyCpu.TotalSeconds };
    }
}
