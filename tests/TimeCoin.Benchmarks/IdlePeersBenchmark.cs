using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Benchmarks;

/// <summary>
/// Memory and CPU of idle handshaken peers: a whole <see cref="TimeNode"/> listens on loopback in this process; a
/// child process (this program, <c>idle-clients</c>) opens N TCP connections to it, each completing the real handshake
/// with its own node key and then only answering pings. The node's resident memory growth from a few warm-up peers
/// to N peers, divided by the added peers, is the memory of one idle peer; the node process's CPU time over an idle
/// window, per peer per minute, is the CPU an idle peer costs (it includes the liveness pings, by design).
/// </summary>
public static class IdlePeersBenchmark
{
    private static readonly HashSet<string> Options = ["--peers", "--idle-seconds", "--warmup"];
    private const long GenesisTime = 1_700_000_000;

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        int peers, idleSeconds, warmup;
        try
        {
            var parsed = BenchmarkArguments.Parse(args, Options);
            peers = parsed.GetPositiveInt("--peers", 1000);
            idleSeconds = parsed.GetPositiveInt("--idle-seconds", 60);
            warmup = parsed.GetPositiveInt("--warmup", 20);
        }
        catch (ArgumentException e)
        {
            error.WriteLine("idle: " + e.Message);
            return 2;
        }
        return RunAsync(output, peers, idleSeconds, warmup).GetAwaiter().GetResult();
    }

    private static ChainParameters Parameters()
    {
        using var producer = KeyPair.FromPrivateKey(SHA256.HashData("bench idle producer"u8));
        return ChainParameters.CreateDevnet([producer.PublicKey], GenesisTime, blockTimeSeconds: 1);
    }

    private static async Task<int> RunAsync(TextWriter output, int peers, int idleSeconds, int warmup)
    {
        output.WriteLine($"idle benchmark: {peers:N0} idle handshaken peers over loopback TCP, idle window {idleSeconds} s, {warmup} warm-up peers");
        output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        output.WriteLine($"load average before: {MachineLoad.Describe()}");
        var dataDir = Path.Combine(Path.GetTempPath(), "timecoin-idlebench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Error).AddFilter("TimeCoin.Network.Connections.ConnectionManager", LogLevel.None).AddSimpleConsole(o => o.SingleLine = true));
        var options = new TimeNodeOptions
        {
            Chain = Parameters(),
            DataDirectory = dataDir,
            Identity = KeyPair.Generate(),
            Seed = 7,
            Policy = new PeerPolicyOptions { MaxInbound = peers + warmup + 64, MaxInboundPerIp = peers + warmup + 64 },
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                TargetOutbound = 0,
                WhitelistedPeers = ["127.0.0.0/8"],
            },
        };
        try
        {
            await using var node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory);
            var endpoint = node.Connections.LocalEndPoint!;
            var program = Environment.ProcessPath!;
            var assembly = typeof(IdlePeersBenchmark).Assembly.Location;
            var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            if (!Path.GetFileName(program).StartsWith("TimeCoin.Benchmarks", StringComparison.OrdinalIgnoreCase))
                start.ArgumentList.Add(assembly); // running under the dotnet host
            start.ArgumentList.Add("idle-clients");
            start.ArgumentList.Add(endpoint.ToString());
            output.WriteLine($"client process: {start.FileName} {string.Join(' ', start.ArgumentList)}");
            using var clients = Process.Start(start)!;

            // Warm up: the first peers JIT the code paths and fill the pools; their cost is not per-peer memory.
            await AddClientsAsync(clients, node, warmup);
            await SettleAsync();
            long rssBefore = ResidentBytes();
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
            long rssCompactBefore = CompactedResidentBytes();
            int threadsBefore = Process.GetCurrentProcess().Threads.Count;
            var watch = Stopwatch.StartNew();
            await AddClientsAsync(clients, node, warmup + peers);
            double connectSeconds = watch.Elapsed.TotalSeconds;
            await SettleAsync();
            long rssAfter = ResidentBytes();
            long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            long committedAfter = GC.GetGCMemoryInfo().TotalCommittedBytes;
            long rssCompactAfter = CompactedResidentBytes();
            int threadsAfter = Process.GetCurrentProcess().Threads.Count;
            output.WriteLine($"connected {peers:N0} more peers in {connectSeconds:F1} s (node inbound: {node.Connections.InboundCount:N0})");
            output.WriteLine($"node RSS:                {rssBefore / 1_048_576.0,10:F1} MiB with {warmup} peers -> {rssAfter / 1_048_576.0:F1} MiB with {warmup + peers:N0}");
            output.WriteLine($"RSS per idle peer:       {(rssAfter - rssBefore) / 1024.0 / peers,10:F1} KiB (target < 32 KiB)");
            output.WriteLine($"RSS per idle peer:       {(rssCompactAfter - rssCompactBefore) / 1024.0 / peers,10:F1} KiB after an aggressive collection at both points (the GC gives back what it holds but does not use)");
            output.WriteLine($"managed heap per peer:   {(heapAfter - heapBefore) / 1024.0 / peers,10:F1} KiB (live objects after a full collection)");
            output.WriteLine($"GC committed per peer:   {(committedAfter - committedBefore) / 1024.0 / peers,10:F1} KiB (memory the GC holds, live or not)");
            output.WriteLine($"threads:                 {threadsBefore} -> {threadsAfter} (no thread per connection)");

            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            watch.Restart();
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            self.Refresh();
            double cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
            double minutes = watch.Elapsed.TotalMinutes;
            int inbound = node.Connections.InboundCount;
            output.WriteLine($"idle window:             {watch.Elapsed.TotalSeconds:F0} s, node process CPU {cpu:F2} s with {inbound:N0} peers still connected");
            output.WriteLine($"CPU per idle peer:       {cpu / inbound / minutes * 1000,10:F2} ms per minute (includes the liveness pings)");
            long rssSettled = ResidentBytes();
            output.WriteLine($"RSS per idle peer:       {(rssSettled - rssBefore) / 1024.0 / peers,10:F1} KiB at the end of the idle window (no forced collection: what the GC kept after {watch.Elapsed.TotalSeconds:F0} s of idling)");
            output.WriteLine($"| {DateTime.UtcNow:yyyy-MM-dd HH:mm} | {MachineLoad.Describe()} | {peers:N0} | {(rssAfter - rssBefore) / 1024.0 / peers:F1} KiB | {(rssSettled - rssBefore) / 1024.0 / peers:F1} KiB | {(rssCompactAfter - rssCompactBefore) / 1024.0 / peers:F1} KiB | {(heapAfter - heapBefore) / 1024.0 / peers:F1} KiB | {cpu / inbound / minutes * 1000:F2} ms/min |");
            output.WriteLine($"load average after: {MachineLoad.Describe()}");
            await clients.StandardInput.WriteLineAsync("quit");
            clients.StandardInput.Close();
            if (!clients.WaitForExit(10_000))
                clients.Kill();
            return inbound >= warmup + peers ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task AddClientsAsync(Process clients, TimeNode node, int total)
    {
        await clients.StandardInput.WriteLineAsync($"connect {total}");
        await clients.StandardInput.FlushAsync();
        var line = await clients.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the client process ended");
        if (!line.StartsWith("connected ", StringComparison.Ordinal))
            throw new InvalidOperationException("the client process said: " + line);
        var deadline = Stopwatch.StartNew();
        while (node.Connections.InboundCount < total && deadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(50);
    }

    private static async Task SettleAsync()
    {
        await Task.Delay(2000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await Task.Delay(500);
    }

    /// <summary>RSS after a blocking, compacting, aggressive collection (which also decommits the GC's free memory).</summary>
    private static long CompactedResidentBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return ResidentBytes();
    }

    /// <summary>VmRSS from /proc/self/status (the resident set now), or the working set where that does not exist.</summary>
    private static long ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>
    /// The child process: reads "connect N" lines from stdin and opens connections until N are up (each with its own
    /// node key, through the real handshake), answering pings on each; "quit" ends it.
    /// </summary>
    public static int RunClients(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length != 1 || !IPEndPoint.TryParse(args[0], out var endpoint))
        {
            error.WriteLine("idle-clients: give the node's endpoint");
            return 2;
        }
        return RunClientsAsync(endpoint, output).GetAwaiter().GetResult();
    }

    private static async Task<int> RunClientsAsync(IPEndPoint endpoint, TextWriter output)
    {
        var parameters = Parameters();
        var transport = new TcpTransport();
        var magic = NetworkMagic.For(parameters);
        var open = new List<Task>();
        using var stop = new CancellationTokenSource();
        while (Console.ReadLine() is { } line)
        {
            if (line == "quit")
                break;
            int target = int.Parse(line["connect ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            using var gate = new SemaphoreSlim(32);
            var handshakes = new List<Task<Task?>>();
            while (open.Count + handshakes.Count < target)
            {
                await gate.WaitAsync();
                handshakes.Add(ConnectOneAsync(transport, endpoint, parameters, magic, gate, stop.Token));
            }
            int failed = 0;
            foreach (var handshake in handshakes)
            {
                if (await handshake is { } loop)
                    open.Add(loop);
                else
                    failed++;
            }
            output.WriteLine($"connected {open.Count} failed {failed}");
            output.Flush();
        }
        stop.Cancel();
        return 0;
    }

    private static async Task<Task?> ConnectOneAsync(TcpTransport transport, IPEndPoint endpoint, ChainParameters parameters,
        NetworkMagic magic, SemaphoreSlim gate, CancellationToken stop)
    {
        try
        {
            using var key = KeyPair.Generate();
            var connection = await transport.DialAsync(endpoint);
            var reader = new MessageReader(new FrameReader(connection.Input, magic), endpoint.Address, NullViolationSink.Instance);
            var writer = new FrameWriter(connection.Output, magic);
            var local = new LocalNodeInfo(LocalNodeInfo.CurrentProtocolVersion, LocalNodeInfo.CurrentProtocolVersion, magic,
                parameters.NetworkName, parameters.GenesisHash, key.PublicKey, null, 0, parameters.GenesisHash, false, "idle-bench/1");
            var handshake = new HandshakeDriver(local, key, TimeProvider.System, NullViolationSink.Instance);
            var result = await handshake.RunAsync(connection, reader, writer);
            if (!result.IsSuccess)
                return null;
            return AnswerPingsAsync(connection, reader, writer, stop);
        }
        catch (Exception)
        {
            return null;
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task AnswerPingsAsync(ITransportConnection connection, MessageReader reader, FrameWriter writer, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(stop);
                if (read.MustClose)
                    return;
                if (read.Message is PingMessage ping)
                    await writer.WriteAsync(new PongMessage(ping.Nonce, ping.Timestamp, 0), stop);
            }
        }
        catch (Exception)
        {
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
