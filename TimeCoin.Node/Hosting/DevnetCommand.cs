using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace TimeCoin.Node.Hosting;

/// <summary><c>time-node devnet</c>: a local devnet of several nodes producing and syncing blocks.</summary>
internal static class DevnetCommand
{
    public static Command Build()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes, each a federation member producing its own slots.", DefaultValueFactory = _ => 4 };
        var blockTime = new Option<int>("--block-time") { Description = "Seconds per slot.", DefaultValueFactory = _ => 1 };
        var duration = new Option<int>("--duration-secs") { Description = "Stop after this many seconds and report convergence (0 = run until Ctrl+C).", DefaultValueFactory = _ => 0 };
        var lateJoin = new Option<int>("--late-join-secs") { Description = "Start the last node this many seconds late so it has to catch up (0 = all together).", DefaultValueFactory = _ => 10 };
        var dataDir = new Option<string?>("--datadir") { Description = "Keep the nodes' data here (node-0, node-1, ...); default a temporary directory removed at exit." };
        var rpcPort = new Option<int>("--rpc-port") { Description = "JSON-RPC port of node 0 for time-cli (0 = none). Cookie in <datadir>/node-0/.cookie.", DefaultValueFactory = _ => 0 };
        var verbose = new Option<bool>("--verbose") { Description = "Log every node's information messages, not only warnings." };
        var command = new Command("devnet",
            "Run a local devnet in this process: a fresh federation and genesis, N nodes on 127.0.0.1 producing and syncing blocks. " +
            "Prints the nodes' heights every 2 s; with --duration-secs, exits 0 when all nodes ended within 10 blocks of each other.");
        foreach (var option in new Option[] { nodes, blockTime, duration, lateJoin, dataDir, rpcPort, verbose })
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
            };
            return await RunAsync(options, parseResult.GetValue(duration), parseResult.GetValue(verbose), output, cancellationToken);
        });
        return command;
    }

    private static Command BuildInit()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes, each a federation member and masternode.", DefaultValueFactory = _ => 3 };
        var dir = new Option<string>("--dir") { Description = "Directory to write genesis.json and node-0, node-1, ... into.", Required = true };
        var blockTime = new Option<int>("--block-time") { Description = "Seconds per slot.", DefaultValueFactory = _ => 1 };
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

    private static async Task<int> RunAsync(DevnetOptions options, int durationSecs, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.CreateConsole(verbose ? LogLevel.Information : LogLevel.Warning);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using var devnet = await Devnet.StartAsync(options, loggerFactory, stop.Token);
            output.WriteLine($"devnet: {options.Nodes} nodes, block time {options.BlockTimeSeconds} s, genesis {devnet.Chain.GenesisHash.ToString()[..16]}, data {devnet.Root}");
            if (devnet.Nodes[0]?.RpcUrl is { } url)
                output.WriteLine($"devnet: node 0 JSON-RPC at {url} (time-cli --rpc-url {url} --datadir {Path.Combine(devnet.Root, "node-0")} get-blockchain-info)");
            var started = DateTimeOffset.UtcNow;
            bool lateStarted = options.LateJoinDelay <= TimeSpan.Zero;
            try
            {
                while (durationSecs <= 0 || DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(durationSecs))
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), stop.Token);
                    if (!lateStarted && DateTimeOffset.UtcNow - started >= options.LateJoinDelay)
                    {
                        await devnet.StartLateJoinerAsync(stop.Token);
                        lateStarted = true;
                        output.WriteLine($"devnet: node {options.Nodes - 1} joins late and catches up");
                    }
                    output.WriteLine(StatusLine(devnet, started));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            var heights = devnet.Heights().Where(h => h >= 0).ToList();
            long spread = heights.Count == 0 ? 0 : heights.Max() - heights.Min();
            output.WriteLine($"devnet: final heights [{string.Join(' ', devnet.Heights())}], spread {spread} blocks");
            return spread <= 10 && heights.Max() > 0 ? 0 : 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string StatusLine(Devnet devnet, DateTimeOffset started)
    {
        var parts = devnet.Nodes.Select(n => n is null
            ? "   -   "
            : $"{n.Chain.State.Height,5}/{n.Connections.Peers.Count}p");
        var tips = devnet.Nodes.Where(n => n is not null).Select(n => n!.Chain.State.TipHash).Distinct().Count();
        return $"t={(DateTimeOffset.UtcNow - started).TotalSeconds,4:0}s heights/peers [{string.Join("  ", parts)}]  distinct tips {tips}";
    }
}
