using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>Block serving and receiving against a hostile (or merely newer) peer (session 9 review, rev-net).</summary>
public sealed class ChainSyncServiceHostileBlocksTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;
    private readonly ChainStore _store;
    private readonly SyncCoordinator _coordinator;
    private readonly List<Block> _blocks;

    public ChainSyncServiceHostileBlocksTests()
    {
        _database = NodeDatabase.Open(_directory.Path);
        _store = ChainStore.Open(_database, _chain.Parameters);
        _blocks = _chain.Build(_chain.Parameters.GenesisHeader, 10);
        _store.AddBatch(_blocks, SyncTestChain.Clock);
        _coordinator = new SyncCoordinator(_store, new SyncCoordinatorOptions(), new FakeTimeProvider(SyncTestChain.Clock),
            NullLogger<SyncCoordinator>.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        _database.Dispose();
        _directory.Dispose();
        _chain.Dispose();
    }

    private ChainSyncService Service(ChainSyncServiceOptions? options = null) =>
        new(_store, _coordinator, NullLogger<ChainSyncService>.Instance, options);

    /// <summary>
    /// Review (hostile peer, rev-net 5014971): one reply is one violation, as for headers. Each undecodable block of a
    /// Blocks reply was reported on its own, so a single reply of ten blocks our limits refuse (a newer encoding, a
    /// block above our size limit) reached the permanent-ban score (10) at once.
    /// </summary>
    [Fact]
    public async Task OnMessageAsync_ReplyWithTenUndecodableBlocks_ReportedOnce()
    {
        var service = Service();
        var reports = new List<ViolationKind>();
        _coordinator.PeerMisbehaved += (_, kind, _) => reports.Add(kind);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("garbage");

        await service.OnMessageAsync(peer, new BlocksMessage(Enumerable.Range(0, 10).Select(_ => (ReadOnlyMemory<byte>)new byte[10]).ToList()), CancellationToken.None);

        Assert.Equal([ViolationKind.MalformedMessage], reports);
    }

    /// <summary>
    /// A GetBlocks that names one block many times is served that block once: a peer repeating one large block's hash
    /// 128 times made the node read and queue 128 copies of it (up to the reply's byte budget) for one request.
    /// </summary>
    [Fact]
    public void ServeBlocks_SameHashRepeated_ServedOnce()
    {
        var hashes = Enumerable.Repeat(_blocks[3].Hash, 64).Concat([_blocks[5].Hash, _blocks[3].Hash, _blocks[5].Hash]).ToList();

        var reply = Service().ServeBlocks(new GetBlocksMessage(hashes));

        Assert.Equal([_blocks[3].Hash, _blocks[5].Hash],
            reply.Blocks.Select(b => BlockCodec.TryDecode(b.Span, _chain.Parameters.Limits, out var block, out _) ? block.Hash : default));
    }
}
