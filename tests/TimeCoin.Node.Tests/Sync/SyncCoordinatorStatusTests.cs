using System.Collections.Concurrent;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Sync;
using TimeCoin.Sync;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// The status snapshot the loop publishes after each round. The per-peer throughput in it is rebuilt only when a
/// measurement changes or a measured peer leaves (most rounds measure nothing), so these tests follow it through both.
/// </summary>
public sealed class SyncCoordinatorStatusTests : IAsyncLifetime
{
    private readonly CoordinatorHarness _harness = new();
    private readonly ConcurrentQueue<GetBlocksMessage> _blockRequests = new();
    private int _headerRequests;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    private IPeer Peer(string id, Block tip)
    {
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns(id);
        peer.BestHeight.Returns(tip.Header.Height);
        peer.TipHash.Returns(tip.Hash);
        peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            if (call.Arg<NetworkMessage>() is GetBlocksMessage request)
                _blockRequests.Enqueue(request);
            else if (call.Arg<NetworkMessage>() is GetHeadersMessage)
                Interlocked.Increment(ref _headerRequests);
            return ValueTask.FromResult(true);
        });
        return peer;
    }

    private static BlockLink Link(Block block) => new(block.Header.Height, block.Hash, block.Header.PreviousHash);

    /// <summary>Waits for the block request of <paramref name="blocks"/>, lets <paramref name="delay"/> pass, delivers them.</summary>
    private async Task DeliverAsync(IPeer peer, IReadOnlyList<Block> blocks, TimeSpan delay)
    {
        GetBlocksMessage? request = null;
        await Eventually.AssertAsync(() => _blockRequests.TryDequeue(out request), () => $"no block request; status {_harness.Coordinator.GetStatus()}");
        Assert.Equal(blocks.Select(b => b.Hash), request!.Hashes);
        _harness.Time.Advance(delay);
        await _harness.Coordinator.OnBlocksReceivedAsync(peer, blocks);
        await Eventually.AssertAsync(() => _harness.Store.State.TipHash == blocks[^1].Hash && _harness.Coordinator.GetStatus().Height == blocks[^1].Header.Height,
            () => $"blocks not connected; status {_harness.Coordinator.GetStatus()}");
    }

    [Fact]
    public async Task PeerThroughput_FollowsEveryMeasurementAndLeavesWithThePeer()
    {
        var blocks = _harness.Chain.Build(_harness.Chain.Parameters.GenesisHeader, 5);
        var peer = Peer("p", blocks[3]);
        _harness.Coordinator.Start();
        _harness.Coordinator.OnPeerConnected(peer);
        await Eventually.AssertAsync(() => Volatile.Read(ref _headerRequests) == 1, () => "the peer was not asked for headers");
        await _harness.Coordinator.OnHeadersReceivedAsync(peer, blocks.Take(4).Select(Link).ToList());

        await DeliverAsync(peer, blocks.Take(4).ToList(), TimeSpan.FromSeconds(2));
        Assert.Equal(2.0, _harness.Coordinator.GetStatus().PeerThroughput["p"], 6); // 4 blocks in 2 s

        // A second measurement, with rounds in between that measured nothing: 1 block in 1 s, smoothed (0.3).
        _harness.Coordinator.RequestSync();
        await _harness.Coordinator.OnHeaderAnnouncedAsync(peer, Link(blocks[4]));
        await DeliverAsync(peer, [blocks[4]], TimeSpan.FromSeconds(1));
        Assert.Equal(2.0 + 0.3 * (1.0 - 2.0), _harness.Coordinator.GetStatus().PeerThroughput["p"], 6);

        _harness.Coordinator.OnPeerDisconnected(peer, "gone");
        await Eventually.AssertAsync(() => _harness.Coordinator.GetStatus().PeerCount == 0, () => "the disconnect was not applied");
        Assert.Empty(_harness.Coordinator.GetStatus().PeerThroughput);
    }
}
