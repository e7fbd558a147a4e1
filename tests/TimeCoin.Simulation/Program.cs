using TimeCoin.Simulation.Scenarios;

namespace TimeCoin.Simulation;

/// <summary>Console entry point: runs a scenario by name with a seed (the replay command) and prints its report.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args) => ScenarioCommand.Run(args, Console.Out);
}
