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
    /// <param name="relays">
    /// Nodes (not producers) that also withhold every block body and send on every header announcement they hear at
    /// once (any node may relay a signed header): each relay used to count as having sent the header itself, with its
    /// own two stalls to lose it, so the header stayed above the honest nodes' tips longer.
    /// </param>
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void ProducerWithholdsEveryBlockBody_HonestNodesKeepProducingOnOneChain(int relays)
    {
        using var sim = new NetworkSimulation(new SimulationOptions { Seed = 1, Masternodes = 12, Producers = 4, OrdinaryNodes = 2 });
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(3));
        int withholder = sim.ProducerIndexes[0];
        var relaying = sim.Nodes.Where(n => !sim.ProducerIndexes.Contains(n.Index)).Take(relays).Select(n => n.Index).ToList();
        var honest = sim.Nodes.Where(n => n.Index != withholder && !relaying.Contains(n.Index)).ToList();
        long before = honest.Max(n => n.Node!.Chain.State.Height);
        sim.Network.SetWithholdBlocks(sim.Nodes[withholder].Address, true);
        foreach (int index in relaying)
        {
            sim.Network.SetWithholdBlocks(sim.Nodes[index].Address, true);
            sim.Network.SetRelayHeaders(sim.Nodes[index].Address, true);
        }
        var length = TimeSpan.FromMinutes(10);
        sim.RunFor(length);

        long slots = (long)length.TotalSeconds / sim.Options.BlockTimeSeconds;
        var heights = honest.Select(n => n.Node!.Chain.State.Height).ToList();
        long produced = heights.Max() - before;
        output.WriteLine($"honest blocks in {slots} slots: {produced} (the withholder has 1 slot in {sim.Options.Producers}); " +
            $"honest heights {heights.Min()}-{heights.Max()}; Blocks frames withheld {sim.Network.BlocksWithheld}; " +
            $"withholder at {sim.Nodes[withholder].Node!.Chain.State.Height}; headers relayed {sim.Network.HeadersRelayed}");

        Assert.True(sim.Network.BlocksWithheld > 0, "the withholder was never asked for a block");
        Assert.Equal(relays > 0, sim.Network.HeadersRelayed > 0);
        // Every slot but the withholder's is filled (nearly: a block lost to the links may cost one more).
        Assert.True(produced >= slots * (sim.Options.Producers - 1) / sim.Options.Producers * 9 / 10,
            $"{produced} honest blocks in {slots} slots");
        Assert.True(heights.Max() - heights.Min() <= 2, $"honest heights {heights.Min()}-{heights.Max()}");
    }
}
