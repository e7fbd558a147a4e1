using System.CommandLine;

namespace TimeCoin.Cli;

/// <summary>Entry point of the <c>time-cli</c> executable, a JSON-RPC client for <c>time-node</c>.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("time-cli: manage a running time-node over JSON-RPC.");
        return root.Parse(args).Invoke();
    }
}
