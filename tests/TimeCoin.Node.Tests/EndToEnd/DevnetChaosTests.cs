using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>The faults of `time-node devnet --chaos` on a real loopback devnet: each one breaks something visible, and the network heals.</summary>
[Trait("Category", "Slow")]
public class DevnetChaosTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string Describe(Devnet devnet) =>
        string.Join(" | ", devnet.Nodes.Select(n => n is null ? "down" : $"{n.Chain.State.Height}:{n.Chain.State.TipHash.ToString()[..8]}:{n.Connections.Peers.Count}p"));

    private static bool Agree(Devnet devnet, long atLeast)
    {
        var nodes = devnet.Nodes.ToList();
        if (nodes.Any(n => n is null || n.Chain.State.Height < atLeast))
            return false;
        return nodes.Select(n => n!.Chain.State.GetHashAtHeight(atLeast)).Distinct().Count() == 1;
    }

    [Fact]
    public async Task Partition_CutsTheSidesApart_AndAfterHealingAllNodesAgreeAgain()
    {
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 3, Chaos = true }, NullLoggerFactory.Instance);
        var events = new List<string>();
        var chaos = new DevnetChaos(devnet, devnet.Links!, 1, e => { lock (events) events.Add(e); });
        await Eventually.True(() => devnet.Nodes.All(n => n!.Connections.Peers.Count == 2), Patience, () => Describe(devnet));

        var partition = chaos.PartitionAsync([0, 1, 1], TimeSpan.FromSeconds(8), CancellationToken.None);
        await Eventually.True(() => devnet.Nodes[0]!.Connections.Peers.Count == 0 && devnet.Nodes[1]!.Connections.Peers.Count == 1,
            TimeSpan.FromSeconds(8), () => "partition did not cut node 0 off: " + Describe(devnet));
        await partition;
        long healedAt = devnet.Nodes.Max(n => n!.Chain.State.Height);

        await Eventually.True(() => Agree(devnet, healedAt + 3), Patience, () => "no agreement after healing: " + Describe(devnet));
        Assert.Contains(events, e => e.Contains("partitioned {0} | {1,2}", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Contains("healed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillAndRestart_NodeComesBackOnItsDataAndCatchesUp()
    {
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 3, Chaos = true }, NullLoggerFactory.Instance);
        var chaos = new DevnetChaos(devnet, devnet.Links!, 1, _ => { });
        await Eventually.True(() => devnet.Nodes.All(n => n!.Chain.State.Height >= 3), Patience, () => Describe(devnet));
        long before = devnet.Nodes[1]!.Chain.State.Height;

        var restart = chaos.KillAndRestartAsync(1, TimeSpan.FromSeconds(4), CancellationToken.None);
        await Eventually.True(() => devnet.Nodes[1] is null, TimeSpan.FromSeconds(5), () => Describe(devnet));
        await restart;

        Assert.True(devnet.Nodes[1]!.Chain.State.Height >= before, "the restarted node lost blocks");
        long target = devnet.Nodes[0]!.Chain.State.Height + 2;
        await Eventually.True(() => Agree(devnet, target), Patience, () => "restarted node did not catch up: " + Describe(devnet));
    }

    [Fact]
    public async Task Restart_EarlierPortTakenWhileDown_ComesBackOnAnotherPortAndCatchesUp()
    {
        // A node's port came from bind(0) at its first start, so it is an ephemeral one: while the node is down, any
        // socket on the machine may be given it. The restart then failed on the bind and took the devnet down.
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 3, Chaos = true }, NullLoggerFactory.Instance);
        await Eventually.True(() => devnet.Nodes.All(n => n!.Chain.State.Height >= 3), Patience, () => Describe(devnet));
        int earlier = devnet.Nodes[1]!.Connections.LocalEndPoint!.Port;

        await devnet.StopNodeAsync(1);
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, earlier);
        squatter.Start();
        await devnet.RestartNodeAsync(1, CancellationToken.None);

        Assert.NotEqual(earlier, devnet.Nodes[1]!.Connections.LocalEndPoint!.Port);
        long target = devnet.Nodes[0]!.Chain.State.Height + 2;
        await Eventually.True(() => Agree(devnet, target), Patience, () => "restarted node did not catch up: " + Describe(devnet));
    }

    [Fact]
    public async Task StalledLink_StopsDeliveryBetweenTwoNodes_AndReleaseLetsThemConverge()
    {
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 2, Chaos = true }, NullLoggerFactory.Instance);
        await Eventually.True(() => devnet.Nodes.All(n => n!.Chain.State.Height >= 2), Patience, () => Describe(devnet));

        devnet.Links!.SetStalled(0, 1, true);
        long stalledAt = devnet.Nodes.Max(n => n!.Chain.State.Height);
        // Each node only hears itself: their tips part, or production stops; neither reaches far past the stall.
        await Task.Delay(TimeSpan.FromSeconds(6));
        var heights = devnet.Heights();
        bool parted = devnet.Nodes[0]!.Chain.State.TipHash != devnet.Nodes[1]!.Chain.State.TipHash || heights.Max() <= stalledAt + 2;
        Assert.True(parted, $"blocks still flowed over the stalled link: {Describe(devnet)} (stalled at {stalledAt})");

        devnet.Links.SetStalled(0, 1, false);
        long target = devnet.Nodes.Max(n => n!.Chain.State.Height) + 2;
        await Eventually.True(() => Agree(devnet, target), Patience, () => "no agreement after release: " + Describe(devnet));
    }

    [Fact]
    public async Task StalledLink_DevnetViewShowsMissedPongs()
    {
        await using var devnet = await Devnet.StartAsync(new DevnetOptions { Nodes = 2, Chaos = true }, NullLoggerFactory.Instance);
        await Eventually.True(() => devnet.Nodes.All(n => n!.Connections.Peers.Count == 1), Patience, () => Describe(devnet));
        Assert.All(DevnetView.Snapshot(devnet, false), row => Assert.Equal(0, row.MissedPongs));

        devnet.Links!.SetStalled(0, 1, true);

        // 2 s pings and 4 s pong timeouts under chaos: a pong is overdue within about 6 s of the stall.
        await Eventually.True(() => DevnetView.Snapshot(devnet, false).Any(row => row.MissedPongs > 0), TimeSpan.FromSeconds(20),
            () => string.Join(", ", DevnetView.Snapshot(devnet, false).Select(r => $"node {r.Index}: {r.MissedPongs} missed, {r.PeersIn + r.PeersOut} peers")));
        devnet.Links.SetStalled(0, 1, false);
    }

    [Fact]
    public void DevnetCommand_OutputNotATerminal_PrintsPlainLinesAndExitsZeroWhenConverged()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = NodeCommandLine.Build().Parse(["devnet", "--nodes", "2", "--duration-secs", "8", "--late-join-secs", "0"])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });

        var text = output.ToString();
        Assert.True(exit == 0, text + error);
        Assert.Contains("heights/peers [", text);
        Assert.Contains("spread", text);
        Assert.DoesNotContain("╭", text);
    }
}
