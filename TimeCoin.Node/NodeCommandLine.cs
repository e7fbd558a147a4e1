using System.CommandLine;
using TimeCoin.Node.Config;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node;

/// <summary>The <c>time-node</c> command tree.</summary>
public static class NodeCommandLine
{
    /// <summary>Builds the root command with its subcommands.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("time-node: a TIME Coin masternode node (peer policy, liveness, heartbeats, sync).");
        var config = new Option<string?>("--config")
        {
            Description = "TOML config file (see docs/time-node.example.toml). Without it every key takes its default.",
        };
        var dataDir = new Option<string?>("--datadir")
        {
            Description = "Data directory; overrides data_dir of the config. Default ~/.timecoin/<network>.",
        };
        var start = new Command("start", "Run a node in the foreground (P2P, sync, block production for federation keys, heartbeats for masternodes, JSON-RPC) until Ctrl+C, SIGTERM or time-cli stop.");
        start.Options.Add(config);
        start.Options.Add(dataDir);
        start.SetAction(parseResult =>
        {
            NodeConfig nodeConfig;
            try
            {
                nodeConfig = parseResult.GetValue(config) is { } path ? NodeConfigLoader.Load(path) : new NodeConfig();
            }
            catch (NodeConfigException e)
            {
                parseResult.InvocationConfiguration.Error.WriteLine(e.Message);
                return 1;
            }

            if (parseResult.GetValue(dataDir) is { Length: > 0 } overriddenDataDir)
            {
                nodeConfig = nodeConfig with { DataDir = overriddenDataDir };
            }

            return NodeRunner.RunAsync(nodeConfig, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error)
                .GetAwaiter().GetResult();
        });
        root.Subcommands.Add(start);
        root.Subcommands.Add(DevnetCommand.Build());
        return root;
    }
}
