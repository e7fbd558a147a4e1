using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;
using TimeCoin.Sync;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// The status snapshot the loop publishes after each round. The per-peer throughput in it is rebuilt only when a
/// measurement changes or a measured peer leaves (most rounds measure nothing), so these tests follow it through both.
/// </summary>
public sealed class SyncCoordinatorStatusTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;
    private readonly ChainStore _store;
    private readonly FakeTimeProvider _time = new(SyncTestChain.Clock);
    private readonly SyncCoordinator _coordinator;
    private readonly ConcurrentQueue<GetBlocksMessage> _blockRequests = new();
    private int _headerRequests;

    public SyncCoordinatorStatusTests()
    {
        _database = NodeDatabase.Open(_directory.Path);
        _store = ChainStore.Open(_database, _chain.Parameters);
        _coordinator = new SyncCoordinator(_store, new SyncCoordinatorOptions(), _time, NullLogger<SyncCoordinator>.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _database.Dispose();
        _directory.Dispose();
        _chain.Dispose();
    }

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
        await Eventually.AssertAsync(() => _blockRequests.TryDequeue(out request), () => $"no block request; status {_coordinator.GetStatus()}");
        Assert.Equal(blocks.Select(b => b.Hash), request!.Hashes);
        _time.Advance(delay);
        await _coordinator.OnBlocksReceivedAsync(peer, blocks);
        await Eventually.AssertAsync(() => _store.State.TipHash == blocks[^1].Hash && _coordinator.GetStatus().Height == blocks[^1].Header.Height,
            () => $"blocks not connected; status {_coordinator.GetStatus()}");
    }

    [Fact]
    public async Task PeerThroughput_FollowsEveryMeasurementAndLeavesWithThePeer()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 5);
        var peer = Peer("p", blocks[3]);
        _coordinator.Start();
        _coordinator.OnPeerConnected(peer);
        await Eventually.AssertAsync(() => Volatile.Read(ref _headerRequests) == 1, () => "the peer was not asked for headers");
        await _coordinator.OnHeadersReceivedAsync(peer, blocks.Take(4).Select(Link).ToList());

        await DeliverAsync(peer, blocks.Take(4).ToList(), TimeSpan.FromSeconds(2));
        Assert.Equal(2.0, _coordinator.GetStatus().PeerThroughput["p"], 6); // 4 blocks in 2 s

        // A second measurement, with rounds in between that measured nothing: 1 block in 1 s, smoothed (0.3).
        _coordinator.RequestSync();
        await _coordinator.OnHeaderAnnouncedAsync(peer, Link(blocks[4]));
        await DeliverAsync(peer, [blocks[4]], TimeSpan.FromSeconds(1));
        Assert.Equal(2.0 + 0.3 * (1.0 - 2.0), _coordinator.GetStatus().PeerThroughput["p"], 6);

        _coordinator.OnPeerDisconnected(peer, "gone");
        await Eventually.AssertAsync(() => _coordinator.GetStatus().PeerCount == 0, () => "the disconnect was not applied");
        Assert.Empty(_coordinator.GetStatus().PeerThroughput);
    }
}
