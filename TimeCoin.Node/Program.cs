using System.CommandLine;

namespace TimeCoin.Node;

/// <summary>Entry point of the <c>time-node</c> executable.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    public static int Main(string[] args) => NodeCommandLine.Build().Parse(args).Invoke();
}
