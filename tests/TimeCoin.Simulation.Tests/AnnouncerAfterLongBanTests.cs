using TimeCoin.Simulation.Hostile;
using Xunit.Abstractions;

namespace TimeCoin.Simulation.Tests;

/// <summary>
/// Scenario (i)'s announcer past its long ban (1 h), which CI's 15-minute (i) never reaches. Its announcements were
/// once signed at the start of the attack. From its second connection on they were too old, and a node drops an old
/// announcement before any signature check. So the announcer reconnected after its long ban, sent only stale forgeries
/// and was never banned (16 connections open over 120 s in <c>run i --seed 3 --hours 2 --nodes 100</c>). A real
/// attacker signs when it sends; this one now does, and must be banned on every connection.
/// </summary>
public class AnnouncerAfterLongBanTests(ITestOutputHelper output)
{
    [Fact]
    public void Announcer_ReconnectsAfterItsLongBan_BannedWithinTheBoundOnEveryConnection()
    {
        using var sim = new NetworkSimulation(new SimulationOptions { Seed = 3, Masternodes = 6, Producers = 2, OrdinaryNodes = 0 });
        int[] targets = [0, 3];
        using var announcer = new HostileHost(sim, 0, HostileRole.Announcer, targets);
        sim.Start();
        var attack = TimeSpan.FromMinutes(2);
        announcer.Start(attack);
        sim.RunFor(attack + TimeSpan.FromMinutes(75));

        var bound = HostileScenario.DropBound(HostileRole.Announcer);
        var handshaken = announcer.Connections.Where(r => r.HandshakeAt is not null).ToList();
        foreach (var r in handshaken)
            output.WriteLine($"node {r.Target}: opened {r.OpenedAt:hh\\:mm\\:ss}, closed {r.ClosedAt:hh\\:mm\\:ss} ({r.Outcome ?? "open"}), {r.MessagesSent} messages");
        Assert.Contains(handshaken, r => r.OpenedAt > attack + TimeSpan.FromHours(1)); // it came back after the long ban
        Assert.All(handshaken, r =>
        {
            Assert.Equal("banned", r.Outcome);
            Assert.True(r.ClosedAt - r.OpenedAt <= bound, $"node {r.Target}: open {(r.ClosedAt - r.OpenedAt)?.TotalSeconds:0} s");
        });
    }
}
