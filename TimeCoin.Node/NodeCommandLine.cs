using System.CommandLine;

namespace TimeCoin.Node;

/// <summary>The <c>time-node</c> command tree.</summary>
public static class NodeCommandLine
{
    /// <summary>Builds the root command with its subcommands.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("time-node: a TIME Coin masternode node (peer policy, liveness, heartbeats, sync).");
        var start = new Command("start", "Run a node in the foreground until Ctrl+C.");
        start.SetAction(_ =>
        {
            Console.Error.WriteLine("time-node start: the node composition is not built yet (see the open issues).");
            return 2;
        });
        root.Subcommands.Add(start);
        return root;
    }
}
