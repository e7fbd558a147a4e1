using Xunit.Abstractions;

namespace TimeCoin.Simulation.Tests;

/// <summary>
/// A federation producer that announces each of its blocks with the (valid, signed) header and never serves a block
/// body (every <c>Blocks</c> frame it sends is dropped on the wire; it still answers header requests). The honest nodes
/// adopt its header, and block production waits while the header chain is above the tip; until the sync planner
/// dropped a header whose only holder stalls on it, the first withheld block stopped every honest node producing.
/// </summary>
public class WithholdingProducerTests(ITestOutputHelper output)
{
    [Fact]
    public void ProducerWithholdsEveryBlockBody_HonestNodesKeepProducingOnOneChain()
    {
        using var sim = new NetworkSimulation(new SimulationOptions { Seed = 1, Masternodes = 12, Producers = 4, OrdinaryNodes = 2 });
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(3));
        int withholder = sim.ProducerIndexes[0];
        var honest = sim.Nodes.Where(n => n.Index != withholder).ToList();
        long before = honest.Max(n => n.Node!.Chain.State.Height);
        sim.Network.SetWithholdBlocks(sim.Nodes[withholder].Address, true);
        var length = TimeSpan.FromMinutes(10);
        sim.RunFor(length);

        long slots = (long)length.TotalSeconds / sim.Options.BlockTimeSeconds;
        var heights = honest.Select(n => n.Node!.Chain.State.Height).ToList();
        long produced = heights.Max() - before;
        output.WriteLine($"honest blocks in {slots} slots: {produced} (the withholder has 1 slot in {sim.Options.Producers}); " +
            $"honest heights {heights.Min()}-{heights.Max()}; Blocks frames withheld {sim.Network.BlocksWithheld}; " +
            $"withholder at {sim.Nodes[withholder].Node!.Chain.State.Height}");

        Assert.True(sim.Network.BlocksWithheld > 0, "the withholder was never asked for a block");
        // Every slot but the withholder's is filled (nearly: a block lost to the links may cost one more).
        Assert.True(produced >= slots * (sim.Options.Producers - 1) / sim.Options.Producers * 9 / 10,
            $"{produced} honest blocks in {slots} slots");
        Assert.True(heights.Max() - heights.Min() <= 2, $"honest heights {heights.Min()}-{heights.Max()}");
    }
}
