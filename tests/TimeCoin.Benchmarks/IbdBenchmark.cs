using System.Diagnostics;
using System.Globalization;
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
/// Initial block download at scale: an empty node, in a child process of its own (so its memory and CPU are its own
/// and its time runs from process start), catches up a long chain (default 1,000,000 blocks of 1 KiB) from several
/// source nodes over loopback TCP. Prints blocks/s, CPU per block, and the node's resident memory at every tenth of
/// the chain and at its peak, so memory that grows with the chain shows.
/// </summary>
/// <remarks>
/// The source chain is built once into a cache directory and reused by later runs (signing a million blocks takes
/// longer than the rest of the setup): blocks are signed and written straight to the database without validation (the
/// syncing node validates every one of them), and each further source gets a file copy of the closed database.
/// </remarks>
public static class IbdBenchmark
{
    private static readonly HashSet<string> Options = ["--blocks", "--payload", "--peers", "--cache", "--node"];
    private static readonly HashSet<string> NodeOptions = ["--blocks", "--payload", "--tip", "--endpoints", "--datadir"];
    private const long GenesisTime = 1_700_000_000;
    private const int BuildBatch = 5_000;
    private static readonly TimeSpan NoProgressLimit = TimeSpan.FromSeconds(120);

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        int blocks, payloadBytes, peers;
        string cache;
        string? nodeCommand;
        try
        {
            var parsed = BenchmarkArguments.Parse(args, Options);
            blocks = parsed.GetPositiveInt("--blocks", 1_000_000);
            payloadBytes = parsed.GetPositiveInt("--payload", 1024);
            peers = parsed.GetPositiveInt("--peers", 4);
            if (peers > 16)
                throw new ArgumentException("option '--peers' takes 1 to 16");
            cache = parsed.GetString("--cache") ?? Path.Combine(Path.GetTempPath(), $"timecoin-ibd-source-{blocks}-{payloadBytes}");
            nodeCommand = parsed.GetString("--node");
            if (nodeCommand is not null && !File.Exists(nodeCommand))
                throw new ArgumentException($"option '--node': no file '{nodeCommand}' (give the path of a time-node executable or time-node.dll)");
        }
        catch (ArgumentException e)
        {
            error.WriteLine("ibd: " + e.Message);
            return 2;
        }
        try
        {
            return RunAsync(output, error, blocks, payloadBytes, peers, cache, nodeCommand).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            error.WriteLine("ibd: " + e.Message);
            return 1;
        }
    }

    private static ChainParameters Parameters(KeyPair producer) =>
        ChainParameters.CreateDevnet([producer.PublicKey], GenesisTime, blockTimeSeconds: 1);

    private static KeyPair Producer() => KeyPair.FromPrivateKey(SHA256.HashData("bench ibd producer"u8));

    private static async Task<int> RunAsync(TextWriter output, TextWriter error, int blockCount, int payloadBytes, int peerCount, string cache, string? nodeCommand)
    {
        output.WriteLine($"ibd benchmark: {blockCount:N0} blocks of {payloadBytes} B payload, catch-up from {peerCount} peer(s) over loopback TCP, source chain cached in {cache}");
        output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        output.WriteLine($"load average before: {MachineLoad.Describe()}");
        using var producer = Producer();
        var parameters = Parameters(producer);
        var setup = Stopwatch.StartNew();
        var tip = EnsureSourceChain(output, parameters, producer, Path.Combine(cache, "source-0"), blockCount, payloadBytes);
        for (int i = 1; i < peerCount; i++)
            EnsureCopy(Path.Combine(cache, "source-0"), Path.Combine(cache, $"source-{i}"), tip);
        output.WriteLine($"source chain ready in {setup.Elapsed.TotalSeconds:F1} s: tip {tip}");

        using var loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Error)
            .AddFilter("TimeCoin.Network.Connections.ConnectionManager", LogLevel.None)
            .AddFilter("TimeCoin.Node.Alerts", LogLevel.None)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var sources = new List<TimeNode>();
        var syncDir = Path.Combine(Path.GetTempPath(), "timecoin-ibd-node-" + Guid.NewGuid().ToString("N"));
        try
        {
            setup.Restart();
            // Started together: each loads every header of the chain, which is most of its start-up.
            var starting = Enumerable.Range(0, peerCount)
                .Select(i => Task.Run(() => SyncBenchmark.StartSourceAsync(parameters, Path.Combine(cache, $"source-{i}"), i, loggerFactory)))
                .ToList();
            sources.AddRange(await Task.WhenAll(starting));
            foreach (var source in sources)
            {
                if (source.Chain.State.TipHash != tip)
                    throw new InvalidOperationException($"A source opened at height {source.Chain.State.Height}, not the cached tip.");
            }
            output.WriteLine($"{peerCount} source node(s) started in {setup.Elapsed.TotalSeconds:F1} s (each loads {blockCount:N0} headers)");
            if (nodeCommand is not null)
            {
                int code = await OperatorNodeRun.RunAsync(output, nodeCommand, parameters, blockCount, tip,
                    sources.Select(s => s.Connections.LocalEndPoint!.ToString()).ToList(), syncDir);
                output.WriteLine($"load average after: {MachineLoad.Describe()}");
                return code;
            }

            var program = Environment.ProcessPath!;
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
            if (!Path.GetFileName(program).StartsWith("TimeCoin.Benchmarks", StringComparison.OrdinalIgnoreCase))
                start.ArgumentList.Add(typeof(IbdBenchmark).Assembly.Location); // running under the dotnet host
            foreach (var arg in new[]
                     {
                         "ibd-node", "--blocks", blockCount.ToString(CultureInfo.InvariantCulture), "--payload", payloadBytes.ToString(CultureInfo.InvariantCulture),
                         "--tip", tip.ToString(), "--datadir", syncDir,
                         "--endpoints", string.Join(',', sources.Select(s => s.Connections.LocalEndPoint!.ToString())),
                     })
                start.ArgumentList.Add(arg);
            output.WriteLine($"syncing node: a child process ({string.Join(' ', start.ArgumentList.Skip(1).Take(1))}), data in {syncDir}");
            using var node = Process.Start(start)!;
            while (await node.StandardOutput.ReadLineAsync() is { } line)
                output.WriteLine(line);
            await node.WaitForExitAsync();
            output.WriteLine($"load average after: {MachineLoad.Describe()}");
            if (node.ExitCode != 0)
                error.WriteLine($"ibd: the syncing node exited with {node.ExitCode}");
            return node.ExitCode;
        }
        finally
        {
            foreach (var source in sources)
                await source.DisposeAsync();
            try { Directory.Delete(syncDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The cached source chain in <paramref name="dir"/>, built when missing: signed blocks written straight to the
    /// store in large transactions (no validation: the syncing node validates each block). Returns the tip hash.
    /// </summary>
    private static Hash256 EnsureSourceChain(TextWriter output, ChainParameters parameters, KeyPair producer, string dir, int blockCount, int payloadBytes)
    {
        var marker = Path.Combine(dir, "complete.txt");
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() is { Length: 64 } hex)
        {
            output.WriteLine($"source chain: reusing {dir}");
            return Hash256.Parse(hex);
        }
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        output.WriteLine($"source chain: building {blockCount:N0} blocks into {dir} (once; later runs reuse it) ...");
        var watch = Stopwatch.StartNew();
        BlockHeader parent;
        using (var db = NodeDatabase.Open(dir))
        {
            parent = ChainStore.Open(db, parameters).State.Tip;
            var batch = new List<StoredBlock>(BuildBatch);
            var hashes = new List<Hash256>(BuildBatch);
            while (parent.Height < blockCount)
            {
                batch.Clear();
                hashes.Clear();
                long first = parent.Height + 1;
                int n = (int)Math.Min(BuildBatch, blockCount - parent.Height);
                for (int i = 0; i < n; i++)
                {
                    var payload = new byte[payloadBytes];
                    BitConverter.TryWriteBytes(payload, parent.Height + 1);
                    var block = BlockFactory.Create(parameters, parent, parent.Slot + 1, producer, [payload]);
                    batch.Add(new StoredBlock(block.Hash, block.Header.Height, block.Header.PreviousHash, block.Encoded.ToArray()));
                    hashes.Add(block.Hash);
                    parent = block.Header;
                }
                db.StoreBlocks(batch, new ActiveChainUpdate(first, hashes));
                if (parent.Height % 100_000 < BuildBatch)
                    output.WriteLine($"  {parent.Height:N0} blocks, {watch.Elapsed.TotalSeconds:F0} s");
            }
        }
        // The sources open it next: that load checks the stored chain links up to this tip.
        File.WriteAllText(marker, parent.Hash.ToString());
        output.WriteLine($"source chain: built in {watch.Elapsed.TotalSeconds:F1} s");
        return parent.Hash;
    }

    private static void EnsureCopy(string fromDir, string toDir, Hash256 tip)
    {
        var marker = Path.Combine(toDir, "complete.txt");
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == tip.ToString())
            return;
        if (Directory.Exists(toDir))
            Directory.Delete(toDir, recursive: true);
        Directory.CreateDirectory(toDir);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            var from = Path.Combine(fromDir, NodeDatabase.FileName + suffix);
            if (File.Exists(from))
                File.Copy(from, Path.Combine(toDir, NodeDatabase.FileName + suffix), overwrite: true);
        }
        File.WriteAllText(marker, tip.ToString());
    }

    /// <summary>
    /// The child process: an empty node syncing from the given endpoints; prints progress at every tenth of the chain
    /// (height, rate, resident memory, managed heap, CPU) and a summary line, and exits 0 when it reached the tip.
    /// </summary>
    public static int RunNode(string[] args, TextWriter output, TextWriter error)
    {
        int blocks;
        Hash256 tip;
        string dataDir;
        List<string> endpoints;
        try
        {
            var parsed = BenchmarkArguments.Parse(args, NodeOptions);
            blocks = parsed.GetPositiveInt("--blocks", 1_000_000);
            tip = Hash256.Parse(parsed.GetString("--tip") ?? throw new ArgumentException("--tip is required"));
            dataDir = parsed.GetString("--datadir") ?? throw new ArgumentException("--datadir is required");
            endpoints = (parsed.GetString("--endpoints") ?? throw new ArgumentException("--endpoints is required")).Split(',').ToList();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            error.WriteLine("ibd-node: " + e.Message);
            return 2;
        }
        try
        {
            return RunNodeAsync(output, blocks, tip, dataDir, endpoints).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            error.WriteLine("ibd-node: " + e.Message);
            return 1;
        }
    }

    private static async Task<int> RunNodeAsync(TextWriter output, int blockCount, Hash256 expectedTip, string dataDir, IReadOnlyList<string> endpoints)
    {
        using var self = Process.GetCurrentProcess();
        using var loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Error)
            .AddFilter("TimeCoin.Network.Connections.ConnectionManager", LogLevel.None)
            .AddFilter("TimeCoin.Node.Alerts", LogLevel.None)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        using var producer = Producer();
        var options = new TimeNodeOptions
        {
            Chain = Parameters(producer),
            DataDirectory = dataDir,
            Identity = KeyPair.Generate(),
            IsMasternode = true,
            Seed = 1,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                BootstrapPeers = endpoints,
                TargetOutbound = endpoints.Count,
                WhitelistedPeers = ["127.0.0.0/8"],
            },
        };
        var sinceProcessStart = DateTime.Now - self.StartTime;
        output.WriteLine($"  node process: {sinceProcessStart.TotalMilliseconds:F0} ms from process start to Main's node start, RSS {Resident("VmRSS:") / 1_048_576.0:F1} MiB");
        output.WriteLine("  | height | elapsed s | blocks/s (interval) | blocks/s (overall) | RSS MiB | peak RSS MiB | managed heap MiB | GC committed MiB | CPU s |");
        var cpuStart = self.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory);
        long step = Math.Max(1, blockCount / 10);
        long nextReport = step;
        long lastHeight = 0;
        double lastReportAt = 0;
        var watchdog = new NoProgressWatchdog(NoProgressLimit, blockCount);
        var rssAtReports = new List<(long Height, long Rss)>();
        double first500 = double.NaN, started = watch.Elapsed.TotalSeconds, firstPeer = double.NaN, firstHeader = double.NaN, firstBlock = double.NaN;
        double cpuAt500 = double.NaN;
        int target500 = Math.Min(500, blockCount);
        while (true)
        {
            long height = node.Chain.State.Height;
            if (double.IsNaN(firstPeer) && node.Connections.OutboundCount > 0)
                firstPeer = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(firstHeader) && node.Sync.GetStatus().HeaderHeight > 0)
                firstHeader = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(firstBlock) && height > 0)
                firstBlock = watch.Elapsed.TotalSeconds;
            if (double.IsNaN(first500) && height >= target500)
            {
                first500 = watch.Elapsed.TotalSeconds;
                self.Refresh();
                cpuAt500 = self.TotalProcessorTime.TotalSeconds; // since the process started
            }
            if (height >= nextReport || height >= blockCount)
            {
                double now = watch.Elapsed.TotalSeconds;
                self.Refresh();
                long rss = Resident("VmRSS:");
                rssAtReports.Add((height, rss));
                var info = GC.GetGCMemoryInfo();
                output.WriteLine($"  | {height:N0} | {now:F1} | {(height - lastHeight) / (now - lastReportAt):N0} | {height / now:N0} | {rss / 1_048_576.0:F1} | {Resident("VmHWM:") / 1_048_576.0:F1} | " +
                                 $"{GC.GetTotalMemory(false) / 1_048_576.0:F1} | {info.TotalCommittedBytes / 1_048_576.0:F1} | {(self.TotalProcessorTime - cpuStart).TotalSeconds:F1} |");
                lastHeight = height;
                lastReportAt = now;
                while (nextReport <= height)
                    nextReport += step;
            }
            if (height >= blockCount)
                break;
            watchdog.Observe(height, () =>
            {
                var status = node.Sync.GetStatus();
                return $"peers {status.PeerCount}, best {status.BestHeight}, last error '{status.LastError}'";
            });
            await Task.Delay(double.IsNaN(first500) ? 2 : 100); // finer until the first 500 blocks, so their time is not rounded
        }
        double seconds = watch.Elapsed.TotalSeconds;
        self.Refresh();
        double cpu = (self.TotalProcessorTime - cpuStart).TotalSeconds;
        if (node.Chain.State.TipHash != expectedTip)
            throw new InvalidOperationException($"The synced tip {node.Chain.State.TipHash} is not the sources' tip {expectedTip}.");
        long peak = Resident("VmHWM:");
        long nodeHeap = GC.GetTotalMemory(forceFullCollection: true);
        await node.DisposeAsync();
        // What the header index alone holds: the same store reopened (headers only, as at start-up), nothing else running.
        long headerIndexHeap;
        using (var db = NodeDatabase.Open(dataDir))
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var reopened = ChainStore.Open(db, options.Chain);
            headerIndexHeap = GC.GetTotalMemory(forceFullCollection: true) - before;
            GC.KeepAlive(reopened);
        }
        var first = rssAtReports[0];
        var last = rssAtReports[^1];
        double perBlock = last.Height > first.Height ? (double)(last.Rss - first.Rss) / (last.Height - first.Height) : 0;
        output.WriteLine($"  first {target500} blocks: {(sinceProcessStart.TotalSeconds + first500) * 1000:F0} ms from process start " +
                         $"({sinceProcessStart.TotalMilliseconds:F0} ms runtime start to node start, {first500 * 1000:F0} ms node start to {target500} blocks; target < 500 ms); " +
                         $"process CPU since process start by then {cpuAt500 * 1000:F0} ms");
        output.WriteLine($"  from node start: StartAsync returned {started * 1000:F0} ms, first peer {firstPeer * 1000:F0} ms, first header {firstHeader * 1000:F0} ms, " +
                         $"first block {firstBlock * 1000:F0} ms, {target500} blocks {first500 * 1000:F0} ms");
        output.WriteLine($"  caught up {blockCount:N0} blocks in {seconds:F1} s: {blockCount / seconds:N0} blocks/s, node CPU {cpu:F1} s ({cpu / blockCount * 1e6:F0} µs per block, {cpu / seconds:F2} cores busy)");
        output.WriteLine($"  node peak RSS {peak / 1_048_576.0:F1} MiB; RSS grew {(last.Rss - first.Rss) / 1_048_576.0:F1} MiB from height {first.Height:N0} to {last.Height:N0} " +
                         $"({perBlock:F0} bytes per block; the header index keeps every header in memory by design)");
        output.WriteLine($"  managed heap of the synced node at the tip {nodeHeap / 1_048_576.0:F1} MiB; the header index alone (the store reopened) {headerIndexHeap / 1_048_576.0:F1} MiB " +
                         $"({(double)headerIndexHeap / (blockCount + 1):F0} bytes per header); everything else {(nodeHeap - headerIndexHeap) / 1_048_576.0:F1} MiB (bounded caches, buffers, connections)");
        output.WriteLine($"| {DateTime.UtcNow:yyyy-MM-dd HH:mm} | {MachineLoad.Describe()} | {blockCount:N0} | {endpoints.Count} | {blockCount / seconds:N0} | {seconds:F1} s | {cpu / blockCount * 1e6:F0} µs | {peak / 1_048_576.0:F0} MiB | {perBlock:F0} B | {(double)headerIndexHeap / (blockCount + 1):F0} B | {(nodeHeap - headerIndexHeap) / 1_048_576.0:F1} MiB |");
        return 0;
    }

    /// <summary>A field of /proc/self/status in bytes (VmRSS: now, VmHWM: peak), or the working set where that does not exist.</summary>
    private static long Resident(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        using var self = Process.GetCurrentProcess();
        return field == "VmHWM:" ? self.PeakWorkingSet64 : self.WorkingSet64;
    }
}
