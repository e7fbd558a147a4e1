using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Sync;
using TimeCoin.Sync;
using Xunit.Abstractions;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// Several nodes in one process, each with its own database, coordinator and chain-sync handler, connected by
/// in-process links that go through the real message codec.
/// </summary>
public sealed class MultiNodeSyncTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly FakeTimeProvider _time = new(SyncTestChain.Clock);
    private readonly List<TestNode> _nodes = [];
    private readonly ITestOutputHelper _output;

    public MultiNodeSyncTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        _chain.Dispose();
    }

    private TestNode Node(string name, SyncCoordinatorOptions? options = null)
    {
        var node = new TestNode(name, _chain, _time, options);
        _nodes.Add(node);
        return node;
    }

    private static string Heights(params TestNode[] nodes) =>
        string.Join(", ", nodes.Select(n => $"{n.Name}={n.Height} {n.TipHash.ToString()[..8]} (last error: {n.Coordinator.GetStatus().LastError})"));

    /// <summary>
    /// Every peer announces each new block: once we have it, the other announcements carry nothing to sync. A round
    /// per announcement walked every peer and the planner about 16 times per block per node (whole-network
    /// simulation, issue 8); announcements of blocks on our active chain now run no round.
    /// </summary>
    [Fact]
    public async Task Announcement_OfABlockOnOurActiveChain_RunsNoSyncRound()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 5);
        var node = Node("node");
        node.Load(blocks);
        node.Start();
        // A peer on our tip that never answers: nothing but the announcements below can wake the loop (the clock is fake).
        var atNode = Substitute.For<TimeCoin.Network.Peers.IPeer>();
        atNode.PeerId.Returns("peer");
        atNode.BestHeight.Returns(5);
        atNode.TipHash.Returns(blocks[^1].Hash);
        atNode.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));
        node.Coordinator.OnPeerConnected(atNode);
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().PeerCount == 1, () => "the connect was not applied");
        long rounds = node.Coordinator.GetStatus().Rounds;

        for (int i = 0; i < 10; i++)
        {
            await node.Coordinator.OnBlockAnnouncedAsync(atNode, blocks[^(1 + i % 3)].Hash, 5 - i % 3);
            await Eventually.AssertAsync(() => node.Coordinator.QueuedEvents == 0, () => "the announcement was not taken");
        }
        // A block we do not have runs a round: once it ran, every announcement before it was decided.
        var unknown = _chain.Build(blocks[^1].Header, 1, "elsewhere");
        await node.Coordinator.OnBlockAnnouncedAsync(atNode, unknown[0].Hash, 6);
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().Rounds > rounds, () => "no round for an unknown block");

        Assert.Equal(rounds + 1, node.Coordinator.GetStatus().Rounds);
    }

    /// <summary>
    /// While a block is on its way (requested from one peer), the other peers announce it too: each announcement ran a
    /// full round that had nothing to do (the request is outstanding, so the 1 s timer already watches it for a stall).
    /// </summary>
    [Fact]
    public async Task Announcement_OfABlockAlreadyRequested_RunsNoSyncRound()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 6);
        var node = Node("node");
        node.Load(blocks[..5]);
        node.Start();
        var sent = new System.Collections.Concurrent.ConcurrentQueue<(string PeerId, NetworkMessage Message)>();
        TimeCoin.Network.Peers.IPeer Peer(string id)
        {
            var peer = Substitute.For<TimeCoin.Network.Peers.IPeer>();
            peer.PeerId.Returns(id);
            peer.BestHeight.Returns(5);
            peer.TipHash.Returns(blocks[4].Hash);
            peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(call =>
            {
                sent.Enqueue((id, call.Arg<NetworkMessage>()));
                return ValueTask.FromResult(true);
            });
            node.Coordinator.OnPeerConnected(peer);
            return peer;
        }
        var first = Peer("first");
        var second = Peer("second");
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().PeerCount == 2, () => "the connects were not applied");
        var next = blocks[5];
        await node.Coordinator.OnBlockAnnouncedAsync(first, next.Hash, 6);
        await Eventually.AssertAsync(() => sent.Any(s => s.PeerId == "first" && s.Message is GetHeadersMessage), () => "no header request");
        await node.Coordinator.OnHeadersReceivedAsync(first, [new BlockLink(6, next.Hash, next.Header.PreviousHash)]);
        await Eventually.AssertAsync(() => sent.Any(s => s.Message is GetBlocksMessage g && g.Hashes.Contains(next.Hash)), () => "the block was not requested");
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().BlocksInFlight == 1, () => "the round that asked for the block did not end");
        long rounds = node.Coordinator.GetStatus().Rounds;

        for (int i = 0; i < 5; i++)
        {
            await node.Coordinator.OnBlockAnnouncedAsync(second, next.Hash, 6);
            await Eventually.AssertAsync(() => node.Coordinator.QueuedEvents == 0, () => "the announcement was not taken");
        }
        // A block we do not have runs a round: once it ran, every announcement before it was decided.
        var unknown = _chain.Build(blocks[4].Header, 1, "elsewhere");
        await node.Coordinator.OnBlockAnnouncedAsync(second, unknown[0].Hash, 6);
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().Rounds > rounds, () => "no round for an unknown block");

        Assert.Equal(rounds + 1, node.Coordinator.GetStatus().Rounds);
    }

    /// <summary>
    /// A peer claiming a height no header proves (the current slot, say) does not stop the node relaying the blocks it
    /// connects: the "catching up, nothing new to tell" rule counts heights headers proved, never claims.
    /// </summary>
    [Fact]
    public async Task TipChanged_OnePeerClaimsAnUnprovedHeightAbove_BlockStillAnnouncedToEveryPeer()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 6);
        var node = Node("node");
        node.Load(blocks[..5]);
        node.Start();
        var sent = new System.Collections.Concurrent.ConcurrentQueue<(string PeerId, NetworkMessage Message)>();
        TimeCoin.Network.Peers.IPeer Peer(string id, long height, Hash256 tip)
        {
            var peer = Substitute.For<TimeCoin.Network.Peers.IPeer>();
            peer.PeerId.Returns(id);
            peer.BestHeight.Returns(height);
            peer.TipHash.Returns(tip);
            peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(call =>
            {
                sent.Enqueue((id, call.Arg<NetworkMessage>()));
                return ValueTask.FromResult(true);
            });
            node.Service.OnPeerConnected(peer);
            return peer;
        }
        var honest = Peer("honest", 5, blocks[4].Hash);
        Peer("liar", 1_000, Hash256.DoubleSha256([9, 9, 9])); // never answers
        await Eventually.AssertAsync(() => node.Coordinator.GetStatus().PeerCount == 2, () => "the connects were not applied");
        var next = blocks[5];
        await node.Coordinator.OnHeaderAnnouncedAsync(honest, new BlockLink(6, next.Hash, next.Header.PreviousHash));
        await Eventually.AssertAsync(() => sent.Any(s => s.PeerId == "honest" && s.Message is GetBlocksMessage), () => "the block was not requested");
        await node.Coordinator.OnBlocksReceivedAsync(honest, [next]);
        await Eventually.AssertAsync(() => node.Height == 6, () => Heights(node));

        await Eventually.AssertAsync(() => sent.Any(s => s.PeerId == "liar" && s.Message is BlockAnnouncementMessage a && a.Hash == next.Hash),
            () => "the connected block was not announced to the peer claiming more");
    }

    [Fact]
    public async Task CatchUp_FiveHundredBlocksBehindOnePeer_ReachesThePeersTip()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 500);
        var peer = Node("peer").Start();
        peer.Load(blocks);
        var behind = Node("behind").Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        TestNode.Link(behind, peer);

        await Eventually.AssertAsync(() => behind.TipHash == blocks[^1].Hash, () => Heights(behind, peer));
        _output.WriteLine($"500 blocks caught up from one peer in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(500, behind.Height);
        Assert.Empty(behind.Violations);
        await Eventually.AssertAsync(() => !behind.Coordinator.GetStatus().IsSyncing, () => $"still syncing: {behind.Coordinator.GetStatus()}");
        // The status is a snapshot refreshed after each round; it shows the tip once the round that reached it ended.
        await Eventually.AssertAsync(() => behind.Coordinator.GetStatus().Height == 500, () => $"status: {behind.Coordinator.GetStatus()}");
    }

    [Fact]
    public async Task CatchUp_FiveHundredBlocksBehindThreePeers_EveryPeerServesAndNodeReachesTip()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 500);
        var peers = new[] { Node("p1"), Node("p2"), Node("p3") };
        foreach (var p in peers)
            p.Start().Load(blocks);
        var behind = Node("behind").Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var links = peers.Select(p => TestNode.Link(behind, p).AtB).ToList();

        await Eventually.AssertAsync(() => behind.TipHash == blocks[^1].Hash, () => Heights([behind, .. peers]));
        _output.WriteLine($"500 blocks caught up from three peers in {clock.ElapsedMilliseconds} ms");
        Assert.All(links, link => Assert.True(link.BlocksServed > 0, $"peer {link.Local.Name} served no blocks"));
        Assert.True(links.Sum(l => l.BlocksServed) >= 500);
        Assert.Empty(behind.Violations);
    }

    [Fact]
    public async Task Announcement_PeerProducesBlock_NodeFollowsWithoutWaitingForTheInterval()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 10);
        var producer = Node("producer").Start();
        var follower = Node("follower").Start();
        producer.Load(blocks);
        follower.Load(blocks);
        TestNode.Link(follower, producer);
        await Eventually.AssertAsync(() => follower.Coordinator.GetStatus().PeerCount == 1, () => "peer not seen");

        var produced = await producer.ProduceAsync(1, "main");

        // The fake clock never moves: only the announcement can have woken the follower's loop.
        await Eventually.AssertAsync(() => follower.TipHash == produced[^1].Hash, () => Heights(follower, producer));
    }

    /// <summary>
    /// Protocol version 3: the announcement carries the header, so the follower asks for the block straight away,
    /// with no header round trip (before: a GetHeaders and Headers pair per block).
    /// </summary>
    [Fact]
    public async Task Announcement_WithTheHeader_FollowerFetchesTheBlockWithoutAHeaderRequest()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 10);
        var producer = Node("producer").Start();
        var follower = Node("follower").Start();
        producer.Load(blocks);
        follower.Load(blocks);
        var (followerToProducer, producerToFollower) = TestNode.Link(follower, producer);
        await Eventually.AssertAsync(() => follower.Coordinator.GetStatus().PeerCount == 1, () => "peer not seen");

        var produced = await producer.ProduceAsync(1, "main");

        await Eventually.AssertAsync(() => follower.TipHash == produced[^1].Hash, () => Heights(follower, producer));
        Assert.Equal(1, producerToFollower.Sent.GetValueOrDefault(MessageType.HeaderAnnouncement));
        Assert.Equal(0, followerToProducer.Sent.GetValueOrDefault(MessageType.GetHeaders));
        Assert.Equal(1, followerToProducer.Sent.GetValueOrDefault(MessageType.GetBlocks));
    }

    /// <summary>A peer that speaks protocol version 2 gets the plain announcement and is followed through a header request.</summary>
    [Fact]
    public async Task Announcement_ToAVersion2Peer_PlainAnnouncementAndTheFollowerAsksForHeaders()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 10);
        var producer = Node("producer").Start();
        var follower = Node("follower").Start();
        producer.Load(blocks);
        follower.Load(blocks);
        var (followerToProducer, producerToFollower) = TestNode.Link(follower, producer);
        producerToFollower.ProtocolVersion = 2;
        await Eventually.AssertAsync(() => follower.Coordinator.GetStatus().PeerCount == 1, () => "peer not seen");

        var produced = await producer.ProduceAsync(1, "main");

        await Eventually.AssertAsync(() => follower.TipHash == produced[^1].Hash, () => Heights(follower, producer));
        Assert.Equal(0, producerToFollower.Sent.GetValueOrDefault(MessageType.HeaderAnnouncement));
        Assert.Equal(1, producerToFollower.Sent.GetValueOrDefault(MessageType.BlockAnnouncement));
        Assert.Equal(1, followerToProducer.Sent.GetValueOrDefault(MessageType.GetHeaders));
    }

    [Fact]
    public async Task PartitionHeal_LongerHalfWins_AllNodesConvergeOnTheLongerChain()
    {
        var common = _chain.Build(_chain.Parameters.GenesisHeader, 50);
        var a1 = Node("a1"); var a2 = Node("a2"); var b1 = Node("b1"); var b2 = Node("b2");
        TestNode[] all = [a1, a2, b1, b2];
        foreach (var n in all)
            n.Start().Load(common);
        TestNode.Link(a1, a2);
        TestNode.Link(b1, b2);

        var branchA = await a1.ProduceAsync(20, "A");
        var branchB = await b1.ProduceAsync(30, "B");
        await Eventually.AssertAsync(() => a2.TipHash == branchA[^1].Hash && b2.TipHash == branchB[^1].Hash, () => Heights(all));

        TestNode.Link(a2, b1);
        TestNode.Link(a1, b2);

        await Eventually.AssertAsync(() => all.All(n => n.TipHash == branchB[^1].Hash), () => Heights(all));
        Assert.All(all, n => Assert.Equal(80, n.Height));
        var resolved = new[] { a1, a2 }.SelectMany(n => n.Coordinator.GetStatus().ForkResolutions)
            .Where(f => f.State == ForkResolutionState.Switch).ToList();
        Assert.NotEmpty(resolved);
        Assert.All(resolved, f => Assert.Equal(50, f.AncestorHeight));
        Assert.All(all, n => Assert.Empty(n.Violations));
    }

    [Fact]
    public async Task PartitionHeal_HourLongSplitWithProducersOnBothSides_LosingHalfReorgsDeeperThanAHundredBlocks()
    {
        // An hour of 10 s slots split between two halves of the federation: about 180 blocks each side. The old
        // limits (reorg depth 100, fork search clamped to it) left the losing half forked until an operator acted.
        var common = _chain.Build(_chain.Parameters.GenesisHeader, 20);
        var a = Node("a"); var b = Node("b");
        TestNode[] all = [a, b];
        foreach (var n in all)
            n.Start().Load(common);

        var branchA = await a.ProduceAsync(180, "A");
        var branchB = await b.ProduceAsync(190, "B");
        Assert.Equal(200, a.Height);

        TestNode.Link(a, b);

        await Eventually.AssertAsync(() => all.All(n => n.TipHash == branchB[^1].Hash), () => Heights(all)
            + " forks: " + string.Join("; ", all.SelectMany(n => n.Coordinator.GetStatus().ForkResolutions).Select(f => f.ToString())));
        var switched = a.Coordinator.GetStatus().ForkResolutions.Where(f => f.State == ForkResolutionState.Switch).ToList();
        Assert.NotEmpty(switched);
        Assert.All(switched, f => Assert.Equal(20, f.AncestorHeight));
        Assert.All(all, n => Assert.Empty(n.Violations));
    }

    [Fact]
    public async Task PartitionHeal_EqualHeightHalves_AllNodesConvergeOnTheLowerTipHash()
    {
        var common = _chain.Build(_chain.Parameters.GenesisHeader, 40);
        var a1 = Node("a1"); var a2 = Node("a2"); var b1 = Node("b1"); var b2 = Node("b2");
        TestNode[] all = [a1, a2, b1, b2];
        foreach (var n in all)
            n.Start().Load(common);
        TestNode.Link(a1, a2);
        TestNode.Link(b1, b2);

        var branchA = await a1.ProduceAsync(15, "A");
        var branchB = await b2.ProduceAsync(15, "B");
        await Eventually.AssertAsync(() => a2.TipHash == branchA[^1].Hash && b1.TipHash == branchB[^1].Hash, () => Heights(all));
        var winner = branchA[^1].Hash < branchB[^1].Hash ? branchA[^1].Hash : branchB[^1].Hash;

        TestNode.Link(a2, b1);

        await Eventually.AssertAsync(() => all.All(n => n.TipHash == winner), () => Heights(all) + $"; winner {winner.ToString()[..8]}");
        Assert.All(all, n => Assert.Equal(55, n.Height));
    }

    [Fact]
    public async Task CatchUp_PeerServesTamperedBlocks_PeerIsReportedAndNodeCatchesUpFromTheHonestPeer()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 200);
        var honest = Node("honest").Start();
        var liar = Node("liar").Start();
        honest.Load(blocks);
        liar.Load(blocks);
        var victim = Node("victim").Start();

        TestNode.Link(victim, honest);
        var (_, liarSide) = TestNode.Link(victim, liar);
        liarSide.Tamper = message => message is BlocksMessage reply ? new BlocksMessage(reply.Blocks.Select(Corrupt).ToList()) : message;

        await Eventually.AssertAsync(() => victim.TipHash == blocks[^1].Hash, () => Heights(victim, honest, liar));
        Assert.True(liarSide.BlocksServed > 0, "the liar was never asked for blocks");
        var reports = victim.Violations.ToList();
        Assert.Contains(reports, r => r.Peer.PeerId == liar.NodeId.ToString() && r.Kind == ViolationKind.InvalidBlock);
        Assert.DoesNotContain(reports, r => r.Peer.PeerId == honest.NodeId.ToString());
        Assert.Contains("MerkleMismatch", reports.First().Detail);
    }

    private static ReadOnlyMemory<byte> Corrupt(ReadOnlyMemory<byte> block)
    {
        var copy = block.ToArray();
        copy[^1] ^= 0xFF; // last payload byte: the header (and hash) stay intact, the merkle root no longer matches
        return copy;
    }

    [Fact]
    public async Task CatchUp_OnePeerDropsEverything_ItsStalledBlocksMoveToTheOtherPeer()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 500);
        var good = Node("good").Start();
        var dead = Node("dead").Start();
        good.Load(blocks);
        dead.Load(blocks);
        var behind = Node("behind").Start();
        TestNode.Link(behind, good);
        var (toDead, deadSide) = TestNode.Link(behind, dead);
        deadSide.Partitioned = true; // every reply from this peer is lost

        // The clock moves one second per check, so stall timeouts (2 s) and header timeouts (20 s) expire.
        await Eventually.AssertAsync(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return behind.TipHash == blocks[^1].Hash;
        }, () => Heights(behind, good, dead));

        Assert.True(toDead.Sent.GetValueOrDefault(MessageType.GetBlocks) > 0, "the dead peer was never asked for blocks");
        Assert.Empty(behind.Violations); // stalling is not misbehaviour
    }

    [Fact]
    public async Task Disabled_PeerFarAhead_NodeRequestsNothingAndStaysAtGenesis()
    {
        var peer = Node("peer").Start();
        peer.Load(_chain.Build(_chain.Parameters.GenesisHeader, 300));
        var off = Node("off", new SyncCoordinatorOptions { Enabled = false }).Start();

        var (offSide, _) = TestNode.Link(off, peer);
        var produced = await peer.ProduceAsync(1, "main");
        _time.Advance(TimeSpan.FromMinutes(10));
        // Give any loop that wrongly runs the time to send something.
        await Eventually.WaitAsync(() => !offSide.Sent.IsEmpty, TimeSpan.FromMilliseconds(300));

        Assert.True(offSide.Sent.IsEmpty, $"disabled node sent {string.Join(", ", offSide.Sent.Keys)}");
        Assert.Equal(0, off.Height);
        var status = off.Coordinator.GetStatus();
        Assert.False(status.Enabled);
        Assert.False(status.LagAlertRaised);
        Assert.Contains(off.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("disabled"));
        Assert.True(produced.Count == 1);
    }

    [Fact]
    public async Task LagAlert_BehindLongerThanGracePeriod_RaisedWithWarningAndClearedWhenCaughtUp()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 500);
        var peer = Node("peer").Start();
        peer.Load(blocks);
        // The first header reply proves the peer's whole chain (a fresh node asks for 250 headers first by default).
        var options = new SyncCoordinatorOptions
        {
            LagWarningBlocks = 100, LagGracePeriod = TimeSpan.FromSeconds(120), Planner = new SyncPlannerOptions { InitialHeadersPerRequest = 2_000 },
        };
        var behind = Node("behind", options).Start();
        // The coordinator only detects; the node's alert center owns, logs and publishes the sync_lag alert.
        var alertLog = new RecordingLogger<AlertCenter>();
        var alerts = new AlertCenter(_time, alertLog);
        var monitor = new NodeAlertMonitor(alerts, () => new AlertInputs([], [], []), new NodeAlertMonitorOptions(), _time);
        behind.Coordinator.LagAlertChanged += monitor.OnSyncLagChanged;
        var (behindSide, peerSide) = TestNode.Link(behind, peer);
        // The peer proves its chain with headers but its block replies come back empty: we stay 500 behind. (A lag
        // rests on header-verified heights: a height a peer only claims raises no alert.)
        peerSide.Tamper = m => m is BlocksMessage ? new BlocksMessage([]) : m;
        await Eventually.AssertAsync(() => behindSide.Sent.ContainsKey(MessageType.GetHeaders), () => "no header request");
        await Eventually.AssertAsync(() => behind.Coordinator.GetStatus().LaggingSince is not null, () => "lag not noticed");

        long rounds = behind.Coordinator.GetStatus().Rounds;
        _time.Advance(TimeSpan.FromSeconds(60));
        await Eventually.AssertAsync(() => behind.Coordinator.GetStatus().Rounds > rounds, () => "no round after 60 s");
        Assert.Empty(behind.Alerts);
        Assert.False(behind.Coordinator.GetStatus().LagAlertRaised);

        _time.Advance(TimeSpan.FromSeconds(61));
        await Eventually.AssertAsync(() => !behind.Alerts.IsEmpty, () => "no alert after the grace period");
        var raised = behind.Alerts.Single();
        Assert.True(raised.IsRaised);
        Assert.Equal(500, raised.BlocksBehind);
        // The event is raised during the round; the status is published when the round ends.
        await Eventually.AssertAsync(() => behind.Coordinator.GetStatus().LagAlertRaised, () => "the status does not show the alert");
        Assert.Contains(alertLog.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Alert raised: sync_lag") && e.Message.Contains("500 blocks behind"));
        Assert.DoesNotContain(behind.Log.Entries, e => e.Message.Contains("blocks behind")); // one owner logs it
        Assert.Equal(AlertCodes.SyncLag, Assert.Single(alerts.GetActive()).Code);

        peerSide.Tamper = null;
        // Let the stalled requests time out and the peer's rest pass, then sync runs on events alone.
        await Eventually.AssertAsync(() =>
        {
            if (behind.Coordinator.GetStatus().BlocksInFlight == 0 || behind.Height == 0)
                _time.Advance(TimeSpan.FromSeconds(1));
            return behind.TipHash == blocks[^1].Hash;
        }, () => Heights(behind, peer));
        await Eventually.AssertAsync(() => behind.Alerts.Count == 2, () => "alert not cleared");
        Assert.False(behind.Alerts.Last().IsRaised);
        // The node's record is the event's first handler; the alert center (the monitor) handles it after.
        await Eventually.AssertAsync(() => alerts.GetActive().Count == 0, () => "the alert center still has the alert");
        Assert.Contains(alertLog.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("Alert cleared: sync_lag", StringComparison.Ordinal));
        // The event is raised during the round; the status is published when the round ends.
        await Eventually.AssertAsync(() => !behind.Coordinator.GetStatus().LagAlertRaised && behind.Coordinator.GetStatus().LaggingSince is null,
            () => "the status still shows the lag");
    }
}
