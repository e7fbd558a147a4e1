namespace TimeCoin.Cli;

/// <summary>Entry point of the <c>time-cli</c> executable, a JSON-RPC client for <c>time-node</c>.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static Task<int> Main(string[] args) => CliApplication.RunAsync(args, Console.Out, Console.Error);
}
