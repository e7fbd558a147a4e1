using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Storage;

namespace TimeCoin.Benchmarks;

/// <summary>
/// The syncing node of <c>ibd --node PATH</c>: a <c>time-node</c> executable started the way an operator starts it
/// (<c>time-node start --config FILE</c>, default log level, JSON-RPC on), with a config and a genesis file written
/// here. It is watched from outside only, so nothing in it is instrumented: the time runs from <see cref="Process.Start()"/>,
/// the height is read from its database (a read-only SQLite connection in this process: committed blocks), the CPU
/// from <c>/proc/PID/stat</c> (10 ms ticks) and the peak memory from <c>/proc/PID/status</c>.
/// </summary>
internal static class OperatorNodeRun
{
    private static readonly TimeSpan NoProgressLimit = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(TextWriter output, string command, ChainParameters parameters, int blockCount, Hash256 expectedTip,
        IReadOnlyList<string> endpoints, string workDir)
    {
        Directory.CreateDirectory(workDir);
        var dataDir = Path.Combine(workDir, "data");
        var genesisFile = Path.Combine(workDir, "genesis.json");
        File.WriteAllText(genesisFile, GenesisDocument.ToJson(parameters));
        var configFile = Path.Combine(workDir, "node.toml");
        File.WriteAllText(configFile, string.Join('\n',
            "network = \"devnet\"",
            $"data_dir = \"{dataDir}\"",
            "[p2p]",
            "listen = \"127.0.0.1\"",
            $"port = {FreePort()}",
            $"max_outbound = {endpoints.Count}",
            $"bootstrap_peers = [{string.Join(", ", endpoints.Select(e => $"\"{e}\""))}]",
            "whitelisted_peers = [\"127.0.0.0/8\"]",
            "discovery_url = \"\"",
            "[rpc]",
            $"port = {FreePort()}",
            "[genesis]",
            $"file = \"{genesisFile}\"",
            ""));

        var start = new ProcessStartInfo(command.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (start.FileName == "dotnet")
            start.ArgumentList.Add(command);
        foreach (var arg in new[] { "start", "--config", configFile })
            start.ArgumentList.Add(arg);
        output.WriteLine($"syncing node: {command} start --config {configFile} (data in {dataDir})");

        var watch = Stopwatch.StartNew();
        using var node = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        double nodeStartedLog = double.NaN, hostRunning = double.NaN;
        var lines = new List<string>();
        void OnLine(string? line)
        {
            if (line is null)
                return;
            double at = watch.Elapsed.TotalSeconds;
            lock (lines)
            {
                lines.Add(line);
                if (double.IsNaN(nodeStartedLog) && line.Contains("Node started on", StringComparison.Ordinal))
                    nodeStartedLog = at;
                if (double.IsNaN(hostRunning) && line.StartsWith("time-node running on", StringComparison.Ordinal))
                    hostRunning = at;
            }
        }
        node.OutputDataReceived += (_, e) => OnLine(e.Data);
        node.ErrorDataReceived += (_, e) => OnLine(e.Data);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();

        var dbPath = Path.Combine(dataDir, NodeDatabase.FileName);
        SqliteConnection? db = null;
        try
        {
            double firstBlock = double.NaN, first500 = double.NaN, cpuAt500 = double.NaN;
            int target500 = Math.Min(500, blockCount);
            var watchdog = new NoProgressWatchdog(NoProgressLimit, blockCount);
            long height;
            while (true)
            {
                if (node.HasExited)
                    throw new InvalidOperationException($"{command} exited with {node.ExitCode} before it caught up:\n  " + string.Join("\n  ", Snapshot(lines)));
                height = ReadHeight(ref db, dbPath);
                if (double.IsNaN(firstBlock) && height > 0)
                    firstBlock = watch.Elapsed.TotalSeconds;
                if (double.IsNaN(first500) && height >= target500)
                {
                    first500 = watch.Elapsed.TotalSeconds;
                    cpuAt500 = CpuSeconds(node.Id);
                }
                if (height >= blockCount)
                    break;
                watchdog.Observe(height, () => "last lines: " + string.Join(" | ", Snapshot(lines).TakeLast(3)));
                await Task.Delay(double.IsNaN(first500) ? 1 : 100); // fine until the first 500 blocks, so their time is not rounded
            }
            double seconds = watch.Elapsed.TotalSeconds;
            double cpu = CpuSeconds(node.Id);
            long peak = PeakResident(node.Id);
            var tip = ReadActiveHash(db!, blockCount);
            if (tip != expectedTip)
                throw new InvalidOperationException($"The synced tip {tip} is not the sources' tip {expectedTip}.");
            output.WriteLine($"  first {target500} blocks: {first500 * 1000:F0} ms from process start (target < 500 ms); process CPU by then {cpuAt500 * 1000:F0} ms");
            output.WriteLine($"  from process start: node started (its log line) {nodeStartedLog * 1000:F0} ms, host running {hostRunning * 1000:F0} ms, " +
                             $"first block {firstBlock * 1000:F0} ms, {target500} blocks {first500 * 1000:F0} ms");
            output.WriteLine($"  caught up {blockCount:N0} blocks in {seconds:F1} s: {blockCount / seconds:N0} blocks/s, node CPU {cpu:F1} s " +
                             $"({cpu / blockCount * 1e6:F0} µs per block, {cpu / seconds:F2} cores busy), peak RSS {peak / 1_048_576.0:F1} MiB");
            output.WriteLine($"| {DateTime.UtcNow:yyyy-MM-dd HH:mm} | {MachineLoad.Describe()} | time-node | {endpoints.Count} | {first500 * 1000:F0} ms | {cpuAt500 * 1000:F0} ms | " +
                             $"{nodeStartedLog * 1000:F0} ms | {firstBlock * 1000:F0} ms | {blockCount / seconds:N0} | {cpu / blockCount * 1e6:F0} µs |");
            return 0;
        }
        finally
        {
            db?.Dispose();
            await StopAsync(node);
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
            return [.. lines];
    }

    /// <summary>The committed height of the node's active chain, or -1 before its database is in WAL mode with its schema.</summary>
    private static long ReadHeight(ref SqliteConnection? db, string dbPath)
    {
        // Not before the node switched the file to WAL (the -wal file exists): a reader then never holds up its writes.
        if (db is null)
        {
            if (!File.Exists(dbPath + "-wal"))
                return -1;
            db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            db.Open();
        }
        try
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT MAX(height) FROM active_chain;";
            return cmd.ExecuteScalar() is long height ? height : -1;
        }
        catch (SqliteException)
        {
            return -1; // the schema is still being created
        }
    }

    private static Hash256? ReadActiveHash(SqliteConnection db, long height)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT hash FROM active_chain WHERE height = $n;";
        cmd.Parameters.AddWithValue("$n", height);
        return cmd.ExecuteScalar() is byte[] bytes ? new Hash256(bytes) : null;
    }

    /// <summary>User + system CPU of the process from <c>/proc/PID/stat</c> (fields 14 and 15, in 10 ms clock ticks).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static long PeakResident(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM (the operator's Ctrl+C / systemd stop), then a kill if it has not exited within 30 s.</summary>
    private static async Task StopAsync(Process node)
    {
        if (node.HasExited)
            return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", node.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
        }
    }
}
