using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Storage;

namespace TimeCoin.Benchmarks;

/// <summary>
/// Catch-up over real loopback TCP: a chain of N blocks (1 KiB payloads) is built and stored once through
/// <see cref="ChainBenchmark.BuildAndStore"/> (which also gives the raw validate+store rate of this machine, in this
/// process), copied into one data directory per source node, and served by whole <see cref="TimeNode"/>s. An empty
/// node bootstrapped to one source, then to four, downloads the chain; the time from its start until its tip is
/// the sources' tip gives blocks/s and MiB/s, printed with the ratio to the raw validate+store rate.
/// </summary>
public static class SyncBenchmark
{
    private static readonly HashSet<string> Options = ["--blocks", "--batch", "--payload", "--datadir", "--peers"];
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan NoProgressLimit = TimeSpan.FromSeconds(120);

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        BenchmarkArguments parsed;
        int blocks, batchSize, payloadBytes;
        List<int> peerCounts;
        try
        {
            parsed = BenchmarkArguments.Parse(args, Options);
            blocks = parsed.GetPositiveInt("--blocks", 100_000);
            batchSize = parsed.GetPositiveInt("--batch", 500);
            payloadBytes = parsed.GetPositiveInt("--payload", 1024);
            peerCounts = ParsePeerCounts(parsed.GetString("--peers") ?? "1,4");
        }
        catch (ArgumentException e)
        {
            error.WriteLine("sync: " + e.Message);
            return 2;
        }

        var ownDir = parsed.GetString("--datadir") is null;
        var root = parsed.GetString("--datadir") ?? Path.Combine(Path.GetTempPath(), "timecoin-syncbench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            RunAsync(output, root, blocks, batchSize, payloadBytes, peerCounts).GetAwaiter().GetResult();
            return 0;
        }
        catch (TimeoutException e)
        {
            error.WriteLine("sync: " + e.Message);
            return 1;
        }
        finally
        {
            if (ownDir)
            {
                try { Directory.Delete(root, recursive: true); } catch (IOException) { }
            }
        }
    }

    private static List<int> ParsePeerCounts(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, out int n) || n < 1 || n > 16)
                throw new ArgumentException($"option '--peers' takes peer counts from 1 to 16 separated by commas, got '{text}'");
            counts.Add(n);
        }
        return counts.Count > 0 ? counts : throw new ArgumentException("option '--peers' is empty");
    }

    private static async Task RunAsync(TextWriter output, string root, int blockCount, int batchSize, int payloadBytes, List<int> peerCounts)
    {
        output.WriteLine($"sync benchmark: {blockCount:N0} blocks, {payloadBytes} B payload, peers {string.Join(" then ", peerCounts)}, over loopback TCP, data under {root}");
        output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");

        // The federation key only builds the chain: no node below holds it, so none produces.
        using var producer = KeyPair.FromPrivateKey(SHA256.HashData("bench producer"u8));
        long genesisTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - Math.Max(200_000L, 2L * blockCount + 1_000);
        var parameters = ChainParameters.CreateDevnet([producer.PublicKey], genesisTime, blockTimeSeconds: 1);

        var sourceDirs = Enumerable.Range(0, peerCounts.Max()).Select(i => Path.Combine(root, $"source-{i}")).ToList();
        output.WriteLine($"building the chain (validate+store timed, build+sign not) ...");
        output.WriteLine($"load average before: {MachineLoad.Describe()}");
        var verify = Ed25519Rate.Measure(TimeSpan.FromSeconds(2));
        output.WriteLine($"ed25519 verify:          {verify.SingleThread,12:N0} verifies/s single thread, {verify.AllCores,10:N0} verifies/s on {verify.Threads} threads");
        var raw = ChainBenchmark.BuildAndStore(sourceDirs[0], parameters, producer, blockCount, batchSize, payloadBytes, measureValidationAlone: false,
            parallelism: Environment.ProcessorCount);
        double rawRate = raw.BlocksPerSecond;
        output.WriteLine($"raw validate+store:      {rawRate,12:N0} blocks/s ({raw.StoreSeconds:F2} s, {raw.EncodedBytes / raw.StoreSeconds / 1_048_576,6:F1} MiB/s; batches of {batchSize})");
        for (int i = 1; i < sourceDirs.Count; i++)
            CopyDatabase(sourceDirs[0], sourceDirs[i]);

        using var loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));

        var results = new List<(int Peers, CatchUp Result)>();
        var sources = new List<TimeNode>();
        try
        {
            foreach (int peers in peerCounts)
            {
                while (sources.Count < peers)
                    sources.Add(await StartSourceAsync(parameters, sourceDirs[sources.Count], sources.Count, loggerFactory));
                foreach (var source in sources)
                {
                    if (source.Chain.State.Height != blockCount || source.Chain.State.TipHash != raw.TipHash)
                        throw new InvalidOperationException($"A source node opened at height {source.Chain.State.Height}, not {blockCount}.");
                }
                var endpoints = sources.Take(peers).Select(s => s.Connections.LocalEndPoint!.ToString()).ToList();
                var result = await CatchUpAsync(parameters, Path.Combine(root, $"sync-{peers}-peers"), endpoints, blockCount, raw.TipHash, loggerFactory);
                results.Add((peers, result));
                output.WriteLine($"behind {peers} peer(s): {blockCount / result.Seconds,12:N0} blocks/s ({result.Seconds:F2} s), first 500 blocks in {result.First500Seconds:F2} s, " +
                    $"process CPU {result.CpuSeconds / blockCount * 1e6:F0} µs per block (all nodes in the process)");
                output.WriteLine($"  start-up: StartAsync returned {result.Started * 1000:F0} ms, first peer {result.FirstPeer * 1000:F0} ms, " +
                    $"first header {result.FirstHeader * 1000:F0} ms, first block {result.FirstBlock * 1000:F0} ms, 250 blocks {result.Block250 * 1000:F0} ms, 500 blocks {result.First500Seconds * 1000:F0} ms (from before StartAsync); " +
                    $"at 500 blocks: header chain at {result.HeadersAt500:N0}, process CPU {result.CpuAt500 * 1000:F0} ms (all nodes)");
                CleanUp(Path.Combine(root, $"sync-{peers}-peers"));
            }
        }
        finally
        {
            foreach (var source in sources)
                await source.DisposeAsync();
        }

        output.WriteLine();
        output.WriteLine($"| measure ({blockCount:N0} blocks, {payloadBytes} B payload, {raw.EncodedBytes / 1_048_576.0:F1} MiB encoded) | blocks/s | MiB/s | time | ratio to raw |");
        output.WriteLine("|---|---|---|---|---|");
        output.WriteLine($"| raw validate+store (ChainStore.AddBatch, batches of {batchSize}) | {rawRate:N0} | {raw.EncodedBytes / raw.StoreSeconds / 1_048_576:F1} | {raw.StoreSeconds:F2} s | 100 % |");
        foreach (var (peers, r) in results)
        {
            double rate = blockCount / r.Seconds;
            output.WriteLine($"| catch-up behind {peers} peer(s), TCP loopback | {rate:N0} | {raw.EncodedBytes / r.Seconds / 1_048_576:F1} | {r.Seconds:F2} s | {rate / rawRate:P0} |");
            output.WriteLine($"| ... first 500 blocks (from node start) behind {peers} peer(s) | {500 / r.First500Seconds:N0} | | {r.First500Seconds:F3} s | |");
            output.WriteLine($"| ... steady state (height 500 to the tip) behind {peers} peer(s) | {(blockCount - 500) / (r.Seconds - r.First500Seconds):N0} | | {r.Seconds - r.First500Seconds:F2} s | {(blockCount - 500) / (r.Seconds - r.First500Seconds) / rawRate:P0} |");
        }
        output.WriteLine($"target: catch-up at 90 % or more of the raw validate+store rate ({0.9 * rawRate:N0} blocks/s); raw is {rawRate / verify.AllCores:P0} of the all-cores verify rate, " +
            $"process CPU {raw.StoreCpuSeconds / blockCount * 1e6:F0} µs per block while storing");
        output.WriteLine($"load average after: {MachineLoad.Describe()}");
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        output.WriteLine($"peak working set of the process (all nodes): {self.PeakWorkingSet64 / 1_048_576.0:F1} MiB");
    }

    private sealed record CatchUp(double Seconds, double First500Seconds, double CpuSeconds,
        double Started, double FirstPeer, double FirstHeader, double FirstBlock, double Block250, long HeadersAt500, double CpuAt500);

    /// <summary>A source node serving the chain stored in <paramref name="dataDir"/> (not in the federation, listening only).</summary>
    internal static async Task<TimeNode> StartSourceAsync(ChainParameters parameters, string dataDir, int index, ILoggerFactory loggerFactory)
    {
        var options = new TimeNodeOptions
        {
            Chain = parameters,
            DataDirectory = dataDir,
            Identity = KeyPair.Generate(), // not in the federation: a source serves, it never produces
            IsMasternode = true,
            Seed = 100 + index,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                TargetOutbound = 0, // sources only accept; they do not dial each other
                WhitelistedPeers = ["127.0.0.0/8"],
            },
        };
        return await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory);
    }

    private static async Task<CatchUp> CatchUpAsync(ChainParameters parameters, string dataDir, IReadOnlyList<string> sources,
        int blockCount, Hash256 expectedTip, ILoggerFactory loggerFactory)
    {
        var options = new TimeNodeOptions
        {
            Chain = parameters,
            DataDirectory = dataDir,
            Identity = KeyPair.Generate(),
            IsMasternode = true,
            Seed = 1,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                BootstrapPeers = sources,
                TargetOutbound = sources.Count,
                WhitelistedPeers = ["127.0.0.0/8"],
            },
        };
        double first500 = double.NaN, firstPeer = double.NaN, firstHeader = double.NaN, firstBlock = double.NaN, block250 = double.NaN;
        long headersAt500 = 0;
        double cpuAt500 = double.NaN;
        int target500 = Math.Min(500, blockCount);
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await using var node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory);
        double started = watch.Elapsed.TotalSeconds;
        var watchdog = new NoProgressWatchdog(NoProgressLimit, blockCount);
        while (true)
        {
            long height = node.Chain.State.Height;
            if (double.IsNaN(firstPeer) && node.Connections.OutboundCount > 0)
                firstPeer = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(firstHeader) && node.Sync.GetStatus().HeaderHeight > 0)
                firstHeader = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(firstBlock) && height > 0)
                firstBlock = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(block250) && height >= Math.Min(250, blockCount))
                block250 = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(first500) && height >= target500)
            {
                first500 = watch.Elapsed.TotalSeconds;
                headersAt500 = node.Sync.GetStatus().HeaderHeight;
                self.Refresh();
                cpuAt500 = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
            }
            if (height >= blockCount)
                break;
            watchdog.Observe(height, () =>
            {
                var status = node.Sync.GetStatus();
                return $"peers {status.PeerCount}, best {status.BestHeight}, in flight {status.BlocksInFlight}, last error '{status.LastError}'";
            });
            // Finer polling until the first 500 blocks are in, so their time is not rounded to 50 ms.
            await Task.Delay(double.IsNaN(first500) ? TimeSpan.FromMilliseconds(1) : Poll);
        }
        double seconds = watch.Elapsed.TotalSeconds;
        self.Refresh();
        double cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        if (node.Chain.State.TipHash != expectedTip)
            throw new InvalidOperationException($"The synced tip {node.Chain.State.TipHash} is not the sources' tip {expectedTip}.");
        return new CatchUp(seconds, first500, cpu, started, firstPeer, firstHeader, firstBlock, block250, headersAt500, cpuAt500);
    }

    /// <summary>Copies a closed node database (the WAL was checkpointed when it closed; copied too if still there).</summary>
    private static void CopyDatabase(string fromDir, string toDir)
    {
        Directory.CreateDirectory(toDir);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            var from = Path.Combine(fromDir, NodeDatabase.FileName + suffix);
            if (File.Exists(from))
                File.Copy(from, Path.Combine(toDir, NodeDatabase.FileName + suffix), overwrite: true);
        }
    }

    private static void CleanUp(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
