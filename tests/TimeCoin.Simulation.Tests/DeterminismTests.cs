namespace TimeCoin.Simulation.Tests;

/// <summary>The run is a function of its seed: the trace hash over delivered messages, timer firings and tip changes.</summary>
public class DeterminismTests
{
    private static (string Hash, long Height, long Events) Run(int seed)
    {
        var options = new SimulationOptions
        {
            Seed = seed,
            Masternodes = 6,
            Producers = 3,
            OrdinaryNodes = 1,
            Links = Scenarios.ScenarioRunner.LossyLinks(seed),
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

    [Fact]
    public void Run_OtherSeed_OtherTraceHash()
    {
        Assert.NotEqual(Run(7).Hash, Run(8).Hash);
    }
}
