using System.Diagnostics;
using System.Text.RegularExpressions;
using TimeCoin.Simulation.Scenarios;

namespace TimeCoin.Simulation.Tests;

/// <summary>The run is a function of its seed: the trace hash over delivered messages, timer firings and tip changes.</summary>
public class DeterminismTests
{
    private static (string Hash, long Height, long Events) Run(int seed, int? workers = null)
    {
        var options = new SimulationOptions
        {
            Seed = seed,
            Masternodes = 6,
            Producers = 3,
            OrdinaryNodes = 1,
            Links = Scenarios.ScenarioRunner.LossyLinks(seed),
            Workers = workers,
        };
        using var sim = new NetworkSimulation(options);
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(10));
        return (sim.Trace.Current(), sim.RunningHeights().Max(), sim.Trace.Events);
    }

    [Fact]
    public void Run_SameSeedTwice_SameTraceHash()
    {
        var first = Run(7);
        var second = Run(7);

        Assert.True(first.Height >= 50, $"the network produced blocks (height {first.Height})");
        Assert.True(first.Events > 1000, $"the trace covers the run ({first.Events} events)");
        Assert.Equal(first, second);
    }

    /// <summary>
    /// The replay command works in any process: the same seed run in this process and in two separate processes (the
    /// command line of the report's replay line) gives one trace hash. Nothing may depend on per-process state such as
    /// randomized string hashing or enumeration order of hash tables.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task Run_SameSeedInSeparateProcesses_SameTraceHash()
    {
        var settings = new ScenarioSettings(Seed: 5, Hours: 0.05, Nodes: 8, Producers: 3);
        var here = ScenarioRunner.Run("a", settings).TraceHash;

        var first = await RunInProcessAsync(settings);
        var second = await RunInProcessAsync(settings);

        Assert.Matches("^[0-9a-f]{32}$", here);
        Assert.Equal(here, first);
        Assert.Equal(here, second);
    }

    private static async Task<string> RunInProcessAsync(ScenarioSettings settings)
    {
        var simulation = Path.Combine(AppContext.BaseDirectory, "TimeCoin.Simulation.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var c = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var arg in new[] { simulation, "run", "a", "--seed", settings.Seed.ToString(c), "--hours", settings.Hours.ToString(c),
            "--nodes", settings.Nodes.ToString(c), "--producers", settings.Producers.ToString(c) })
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var match = Regex.Match(output, @"trace hash\s+([0-9a-f]{32})");
        Assert.True(match.Success, $"no trace hash in the output (exit {process.ExitCode}):\n{output}\n{await stderr}");
        return match.Groups[1].Value;
    }

    /// <summary>
    /// The hosts' lanes run on any number of worker threads with one outcome: one thread, two and four give the same
    /// trace hash (each lane's events in its own order, lane hashes combined in lane order).
    /// </summary>
    [Fact]
    public void Run_OneTwoAndFourWorkers_SameTraceHash()
    {
        var one = Run(7, workers: 1);
        var two = Run(7, workers: 2);
        var four = Run(7, workers: 4);

        Assert.True(one.Events > 1000, $"the trace covers the run ({one.Events} events)");
        Assert.Equal(one, two);
        Assert.Equal(one, four);
    }

    [Fact]
    public void Run_OtherSeed_OtherTraceHash()
    {
        Assert.NotEqual(Run(7).Hash, Run(8).Hash);
    }
}
