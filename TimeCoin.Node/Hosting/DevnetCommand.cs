using System.CommandLine;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace TimeCoin.Node.Hosting;

/// <summary><c>time-node devnet</c>: a local devnet of several nodes producing and syncing blocks.</summary>
internal static class DevnetCommand
{
    public static Command Build()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes (1 to 64), each a federation member producing its own slots.", DefaultValueFactory = _ => 4 };
        var blockTime = new Option<int>("--block-time") { Description = "Seconds per slot (1 to 3600).", DefaultValueFactory = _ => 1 };
        var duration = new Option<int>("--duration-secs") { Description = "Stop after this many seconds and report convergence (0 or more; 0 = run until Ctrl+C).", DefaultValueFactory = _ => 0 };
        var lateJoin = new Option<int>("--late-join-secs") { Description = "Start the last node this many seconds late so it has to catch up (0 or more; 0 = all together).", DefaultValueFactory = _ => 10 };
        var dataDir = new Option<string?>("--datadir") { Description = "Keep the devnet here: genesis.json and per node node-i (its data and masternode.key). Run again on the same " +
            "directory (same --nodes and --block-time), it continues that devnet's chains; a directory it cannot continue is refused and left as it is. " +
            "Default a temporary directory removed at exit." };
        var rpcPort = new Option<int>("--rpc-port") { Description = "JSON-RPC port of node 0 for time-cli (1 to 65535; 0 = none). Cookie in <datadir>/node-0/.cookie.", DefaultValueFactory = _ => 0 };
        Validate(nodes, DevnetLayout.NodesError);
        Validate(blockTime, DevnetLayout.BlockTimeError);
        NodeCommandLine.RefuseEmptyDirectory(dataDir);
        Validate(duration, secs => secs < 0 ? $"--duration-secs: 0 (run until Ctrl+C) or a positive number of seconds, got {secs}." : null);
        Validate(lateJoin, secs => secs < 0 ? $"--late-join-secs: 0 (all together) or a positive number of seconds, got {secs}." : null);
        Validate(rpcPort, port => port is < 0 or > 65535 ? $"--rpc-port: 0 (none) or a port from 1 to 65535, got {port}." : null);
        var verbose = new Option<bool>("--verbose") { Description = "Log every node's information messages, not only warnings." };
        var chaos = new Option<bool>("--chaos")
        {
            Description = "Inject faults every 5-10 s, in turn: kill a node and restart it, stall a link, partition the network for 12-20 s and heal it. " +
                "Liveness runs with 2 s pings and 4 s pong timeouts (a long stall shows as missed pongs). With --duration-secs, faults stop for the last third (at least 20 s) so the nodes can converge.",
        };
        var chaosSeed = new Option<int?>("--chaos-seed") { Description = "Seed of the fault sequence (same seed, same faults in the same order); default random, printed at start." };
        var plain = new Option<bool>("--plain") { Description = "Print one status line every 2 s instead of the live table (the default when stdout is not a terminal)." };
        var command = new Command("devnet",
            "Run a local devnet in this process: a fresh federation and genesis (or the ones kept in --datadir), N nodes on 127.0.0.1 producing and syncing blocks. " +
            "On a terminal it shows a live table (height, tip, peers in/out, whitelisted peers connected, missed pongs, catch-up, alerts) " +
            "refreshed every second; otherwise one line every 2 s. With --duration-secs, exits 0 when all nodes ended within 10 blocks of each other, 1 otherwise. " +
            "`devnet init` writes the files for a devnet of separate processes instead.");
        foreach (var option in new Option[] { nodes, blockTime, duration, lateJoin, dataDir, rpcPort, verbose, chaos, chaosSeed, plain })
            command.Options.Add(option);
        command.Subcommands.Add(BuildInit());
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var options = new DevnetOptions
            {
                Nodes = parseResult.GetValue(nodes),
                BlockTimeSeconds = parseResult.GetValue(blockTime),
                DataDirectory = parseResult.GetValue(dataDir),
                RpcPort = parseResult.GetValue(rpcPort),
                LateJoinDelay = TimeSpan.FromSeconds(parseResult.GetValue(lateJoin)),
                Chaos = parseResult.GetValue(chaos),
            };
            // The live table only on a real terminal: output redirected (CI, pipes) or captured (tests) gets plain lines.
            bool live = !parseResult.GetValue(plain) && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
                && AnsiConsole.Profile.Capabilities.Ansi;
            var run = new DevnetRun(options, parseResult.GetValue(duration), parseResult.GetValue(verbose), live,
                parseResult.GetValue(chaosSeed) ?? Random.Shared.Next());
            return await RunAsync(run, output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    /// <summary>Refuses a value of <paramref name="option"/> at parse time (exit 1, the message on stderr) when
    /// <paramref name="error"/> gives a reason.</summary>
    private static void Validate(Option<int> option, Func<int, string?> error) => option.Validators.Add(result =>
    {
        if (error(result.GetValueOrDefault<int>()) is { } message)
            result.AddError(message);
    });

    /// <summary>The one line for a devnet that could not start: the option named when it is about one.</summary>
    private static string StartFailure(Exception ex, DevnetOptions options) => ex switch
    {
        NodeStartException { Setting: NodeStartSetting.RpcEndPoint } => $"--rpc-port {options.RpcPort}: {ex.Message}",
        _ => ex.Message,
    };

    private sealed record DevnetRun(DevnetOptions Options, int DurationSecs, bool Verbose, bool Live, int ChaosSeed);

    private static Command BuildInit()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes (1 to 64), each a federation member and masternode.", DefaultValueFactory = _ => 3 };
        var dir = new Option<string>("--dir") { Description = "Directory to write genesis.json and node-0, node-1, ... into.", Required = true };
        var blockTime = new Option<int>("--block-time") { Description = "Seconds per slot (1 to 3600).", DefaultValueFactory = _ => 1 };
        Validate(nodes, DevnetLayout.NodesError);
        Validate(blockTime, DevnetLayout.BlockTimeError);
        var basePort = new Option<int>("--base-port")
        {
            Description = "Node i listens for peers on base+2i and serves JSON-RPC on base+2i+1, all on 127.0.0.1.",
            DefaultValueFactory = _ => 24200,
        };
        var init = new Command("init",
            "Write the files for a devnet of separate processes: <dir>/genesis.json (a fresh federation, genesis time now) and, per node, " +
            "<dir>/node-i/config.toml (own P2P and RPC port, the other nodes as bootstrap peers, 127.0.0.0/8 whitelisted, masternode on, " +
            "discovery off) and <dir>/node-i/masternode.key. Never overwrites a file. Then run time-node start --datadir <dir>/node-i " +
            "for each node (see docs/devnet.md).");
        foreach (var option in new Option[] { nodes, dir, blockTime, basePort })
            init.Options.Add(option);
        init.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                int count = parseResult.GetValue(nodes);
                int port = parseResult.GetValue(basePort);
                var nodeDirs = DevnetLayout.Write(parseResult.GetValue(dir)!, count, parseResult.GetValue(blockTime), port);
                output.WriteLine($"devnet init: {count} nodes, genesis {Path.Combine(Path.GetDirectoryName(nodeDirs[0])!, "genesis.json")}");
                for (int i = 0; i < nodeDirs.Count; i++)
                {
                    output.WriteLine($"  node {i}: time-node start --datadir {nodeDirs[i]}");
                    output.WriteLine($"          time-cli --rpc-url http://127.0.0.1:{DevnetLayout.RpcPort(port, i)}/ --datadir {nodeDirs[i]} get-blockchain-info");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"time-node devnet init: {e.Message}");
                return 1;
            }
        });
        return init;
    }

    private static async Task<int> RunAsync(DevnetRun run, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var options = run.Options;
        var minimum = run.Verbose ? LogLevel.Information : LogLevel.Warning;
        var events = new DevnetEventLog(8, minimum);
        var writeLock = new object();
        void Report(string line)
        {
            if (run.Live)
                events.Add(line);
            else
                lock (writeLock) output.WriteLine(line);
        }
        using var loggerFactory = run.Live
            ? LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(events))
            : Logging.CreateConsole(minimum);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            Devnet running;
            try
            {
                running = await Devnet.StartAsync(options, loggerFactory, stop.Token);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TimeCoin.Network.Transport.TransportException)
            {
                // A kept directory that cannot be continued, a port in use, an unwritable directory: one line, exit 1
                // (StartAsync has stopped what it started and removed a temporary directory).
                error.WriteLine($"time-node devnet: {StartFailure(ex, options)}");
                return 1;
            }
            await using var devnet = running;
            var header = $"devnet: {options.Nodes} nodes, block time {options.BlockTimeSeconds} s, genesis {devnet.Chain.GenesisHash.ToString()[..16]}, data {devnet.Root}"
                + (options.Chaos ? $", chaos seed {run.ChaosSeed}" : "");
            lock (writeLock) output.WriteLine(header);
            if (devnet.Nodes[0]?.RpcUrl is { } url)
                lock (writeLock) output.WriteLine($"devnet: node 0 JSON-RPC at {url} (time-cli --rpc-url {url} --datadir {Path.Combine(devnet.Root, "node-0")} get-blockchain-info)");
            var started = DateTimeOffset.UtcNow;
            var end = run.DurationSecs > 0 ? started.AddSeconds(run.DurationSecs) : DateTimeOffset.MaxValue;
            Task chaosTask = Task.CompletedTask;
            if (options.Chaos && devnet.Links is { } links)
            {
                var quiet = TimeSpan.FromSeconds(Math.Max(20, run.DurationSecs / 3.0));
                var chaosUntil = run.DurationSecs > 0 ? end - quiet : DateTimeOffset.MaxValue;
                chaosTask = new DevnetChaos(devnet, links, run.ChaosSeed, Report).RunAsync(chaosUntil, stop.Token);
            }
            bool lateStarted = options.LateJoinDelay <= TimeSpan.Zero;

            async Task Tick()
            {
                if (!lateStarted && DateTimeOffset.UtcNow - started >= options.LateJoinDelay)
                {
                    lateStarted = true;
                    await devnet.StartLateJoinerAsync(stop.Token);
                    Report($"devnet: node {options.Nodes - 1} joins late and catches up");
                }
            }

            try
            {
                if (run.Live)
                {
                    var rows = DevnetView.Snapshot(devnet, !lateStarted);
                    await AnsiConsole.Live(DevnetView.Render(rows, header, events.Lines())).AutoClear(false).StartAsync(async context =>
                    {
                        while (DateTimeOffset.UtcNow < end)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
                            await Tick();
                            var elapsed = DateTimeOffset.UtcNow - started;
                            context.UpdateTarget(DevnetView.Render(DevnetView.Snapshot(devnet, !lateStarted),
                                $"{header}  t={elapsed.TotalSeconds:0}s" + (run.DurationSecs > 0 ? $"/{run.DurationSecs}s" : "  Ctrl+C to stop"), events.Lines()));
                        }
                    });
                }
                else
                {
                    while (DateTimeOffset.UtcNow < end)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(2), stop.Token);
                        await Tick();
                        var line = DevnetView.PlainLine(DevnetView.Snapshot(devnet, !lateStarted), DateTimeOffset.UtcNow - started);
                        lock (writeLock) output.WriteLine(line);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            await stop.CancelAsync();
            try
            {
                await chaosTask;
            }
            catch (OperationCanceledException)
            {
            }
            var heights = devnet.Heights().Where(h => h >= 0).ToList();
            long spread = heights.Count == 0 ? 0 : heights.Max() - heights.Min();
            lock (writeLock) output.WriteLine($"devnet: final heights [{string.Join(' ', devnet.Heights())}], spread {spread} blocks");
            return heights.Count > 0 && spread <= 10 && heights.Max() > 0 ? 0 : 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
