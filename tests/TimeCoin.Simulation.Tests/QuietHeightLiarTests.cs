using TimeCoin.Simulation.Hostile;
using Xunit.Abstractions;

namespace TimeCoin.Simulation.Tests;

/// <summary>
/// A height liar that sends nothing malformed (<see cref="HostileRole.QuietLiar"/>): it claims a height far above the
/// chain in its handshake, pongs and announcements of made-up tips, and answers header requests with nothing. Scenario
/// (i)'s liars are banned at their first announcement (a height near 2^64 does not fit), so they never test the claim
/// check; this one meets only the claim check. In a live network every node's header chain grows with each announced
/// block, and the claim clock restarted on every such header, so the claim was never reported and the liar stayed.
/// </summary>
public class QuietHeightLiarTests(ITestOutputHelper output)
{
    [Fact]
    public void QuietHeightLiar_ClaimsAndNeverProves_EveryNodeItReachesBansItWithinTwentyMinutes()
    {
        using var sim = new NetworkSimulation(new SimulationOptions { Seed = 1, Masternodes = 8, Producers = 3, OrdinaryNodes = 2 });
        var followers = Enumerable.Range(0, sim.Nodes.Count).Where(i => !sim.ProducerIndexes.Contains(i)).ToList();
        int[] targets = [followers[0], followers[1], followers[^1], sim.ProducerIndexes[0]]; // two masternodes, an ordinary node, a producer
        using var liar = new HostileHost(sim, 0, HostileRole.QuietLiar, targets.Order().ToArray());
        sim.Start();
        var attack = TimeSpan.FromMinutes(2);
        liar.Start(attack);
        sim.RunFor(attack);
        long heightAtAttack = sim.RunningHeights().Max();
        sim.RunFor(TimeSpan.FromMinutes(24));

        var bound = HostileScenario.DropBound(HostileRole.QuietLiar);
        foreach (int target in targets)
        {
            var records = liar.Connections.Where(r => r.Target == target && r.HandshakeAt is not null).ToList();
            var first = records.FirstOrDefault();
            output.WriteLine($"node {target}: {records.Count} handshaken connections; first opened {first?.OpenedAt:hh\\:mm\\:ss}, " +
                $"closed {first?.ClosedAt:hh\\:mm\\:ss} ({first?.Outcome ?? "open"}); refused before handshake {liar.HandshakesRefused}");
            Assert.NotNull(first);
            Assert.True(first.Outcome == "banned", $"node {target} did not ban the liar ({first.Outcome ?? "still open"})");
            Assert.True(first.ClosedAt - first.OpenedAt <= bound, $"node {target} took {(first.ClosedAt - first.OpenedAt)?.TotalMinutes:0.0} min");
        }
        // Production went on all the while (decisions rest on header-proved heights).
        long produced = sim.RunningHeights().Max() - heightAtAttack;
        output.WriteLine($"blocks produced under attack: {produced} in 144 slots");
        Assert.True(produced >= 144 * 9 / 10, $"{produced} blocks in 144 slots");
    }
}
