using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Sync;

public sealed class ChainSyncServiceTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;
    private readonly ChainStore _store;
    private readonly SyncCoordinator _coordinator;
    private readonly List<Block> _blocks;

    public ChainSyncServiceTests()
    {
        _database = NodeDatabase.Open(_directory.Path);
        _store = ChainStore.Open(_database, _chain.Parameters);
        _blocks = _chain.Build(_chain.Parameters.GenesisHeader, 100);
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

    private static List<BlockHeader> Decode(HeadersMessage message) =>
        message.Headers.Select(h => BlockCodec.TryDecodeHeader(h.Span, out var header, out _) ? header : throw new InvalidDataException()).ToList();

    /// <summary>
    /// Announcements go out in one order for one set of peers (peer id order), not in the enumeration order of a
    /// hash table: the whole-network simulation replays a run exactly, in any process.
    /// </summary>
    [Fact]
    public async Task AnnounceAsync_PeersConnectedInAnyOrder_AnnouncedInPeerIdOrder()
    {
        var service = Service();
        var sent = new List<string>();
        var ids = Enumerable.Range(0, 20).Select(i => Hash256.DoubleSha256(BitConverter.GetBytes(i)).ToString()).ToList();
        foreach (var id in ids)
        {
            var peer = Substitute.For<IPeer>();
            peer.PeerId.Returns(id);
            peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(_ =>
            {
                sent.Add(id);
                return ValueTask.FromResult(true);
            });
            service.OnPeerConnected(peer);
        }

        int count = await service.AnnounceAsync(_blocks[^1]);

        Assert.Equal(20, count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), sent);
    }

    private static IPeer RecordingPeer(string id, List<(string PeerId, NetworkMessage Message)> sent, uint protocolVersion = 2)
    {
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns(id);
        peer.ProtocolVersion.Returns(protocolVersion);
        peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            sent.Add((id, call.Arg<NetworkMessage>()));
            return ValueTask.FromResult(true);
        });
        return peer;
    }

    private static List<string> AnnouncedTo(List<(string PeerId, NetworkMessage Message)> sent, Block block) =>
        sent.Where(s => s.Message is BlockAnnouncementMessage a && a.Hash == block.Hash
                        || s.Message is HeaderAnnouncementMessage h && h.Hash == block.Hash).Select(s => s.PeerId).ToList();

    /// <summary>
    /// A peer that speaks protocol version 3 gets the header with the announcement (it can ask for the block at once);
    /// an older peer gets the hash and height it understands (it would score an unknown message type as malformed).
    /// </summary>
    [Fact]
    public async Task Announce_PeerSpeaksVersion3_GetsTheHeaderOlderPeerTheHashAndHeight()
    {
        var service = Service();
        var sent = new List<(string PeerId, NetworkMessage Message)>();
        service.OnPeerConnected(RecordingPeer("new", sent, protocolVersion: 3));
        service.OnPeerConnected(RecordingPeer("old", sent, protocolVersion: 2));
        var tip = _blocks[^1];

        await service.AnnounceAsync(tip);

        var toNew = Assert.IsType<HeaderAnnouncementMessage>(Assert.Single(sent, s => s.PeerId == "new").Message);
        Assert.Equal((tip.Hash, (ulong)tip.Header.Height), (toNew.Hash, toNew.Height));
        Assert.Equal(BlockCodec.EncodeHeader(tip.Header), toNew.Header.ToArray());
        var toOld = Assert.IsType<BlockAnnouncementMessage>(Assert.Single(sent, s => s.PeerId == "old").Message);
        Assert.Equal(new BlockAnnouncementMessage(tip.Hash, (ulong)tip.Header.Height), toOld);
    }

    [Fact]
    public async Task OnMessageAsync_HeaderAnnouncementWithForgedSignature_ReportedAsForgedSignature()
    {
        var service = Service();
        var reports = new List<ViolationKind>();
        _coordinator.PeerMisbehaved += (_, kind, _) => reports.Add(kind);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("forger");
        var forged = _chain.Build(_blocks[^1].Header, 1, "forged")[0].Header.WithSignature(new byte[PublicKey.SignatureSize]);

        await service.OnMessageAsync(peer, new HeaderAnnouncementMessage(forged.Hash, (ulong)forged.Height, BlockCodec.EncodeHeader(forged)), CancellationToken.None);

        Assert.Equal([ViolationKind.ForgedSignature], reports);
        Assert.Equal(0, _coordinator.QueuedEvents); // nothing of it reaches sync
    }

    /// <summary>The hash and height that come with the header must be the header's own: a mismatch is malformed.</summary>
    [Fact]
    public async Task OnMessageAsync_HeaderAnnouncementNotMatchingItsHeader_ReportedAsMalformed()
    {
        var service = Service();
        var reports = new List<ViolationKind>();
        _coordinator.PeerMisbehaved += (_, kind, _) => reports.Add(kind);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("mismatch");
        var next = _chain.Build(_blocks[^1].Header, 1)[0].Header;

        await service.OnMessageAsync(peer, new HeaderAnnouncementMessage(next.Hash, (ulong)next.Height + 5, BlockCodec.EncodeHeader(next)), CancellationToken.None);
        await service.OnMessageAsync(peer, new HeaderAnnouncementMessage(Hash256.DoubleSha256("other"u8), (ulong)next.Height, BlockCodec.EncodeHeader(next)), CancellationToken.None);
        await service.OnMessageAsync(peer, new HeaderAnnouncementMessage(next.Hash, (ulong)next.Height, new byte[10]), CancellationToken.None);

        Assert.Equal([ViolationKind.MalformedMessage, ViolationKind.MalformedMessage, ViolationKind.MalformedMessage], reports);
        Assert.Equal(0, _coordinator.QueuedEvents);
    }

    [Fact]
    public async Task OnMessageAsync_ValidHeaderAnnouncement_PassedToSync()
    {
        var service = Service();
        var reports = new List<ViolationKind>();
        _coordinator.PeerMisbehaved += (_, kind, _) => reports.Add(kind);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("honest");
        var next = _chain.Build(_blocks[^1].Header, 1)[0].Header;

        await service.OnMessageAsync(peer, new HeaderAnnouncementMessage(next.Hash, (ulong)next.Height, BlockCodec.EncodeHeader(next)), CancellationToken.None);

        Assert.Empty(reports);
        Assert.Equal(1, _coordinator.QueuedEvents);
    }

    /// <summary>
    /// A peer that announced a block has it: announcing it back costs both sides a message and tells nothing (every
    /// peer announced every block to every peer, about 16 copies per block per node in the whole-network simulation).
    /// </summary>
    [Fact]
    public async Task Announce_PeerAnnouncedTheBlock_NotAnnouncedBackToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var announcer = RecordingPeer("announcer", sent);
        var other = RecordingPeer("other", sent);
        service.OnPeerConnected(announcer);
        service.OnPeerConnected(other);
        var tip = _blocks[^1];

        await service.OnMessageAsync(announcer, new BlockAnnouncementMessage(tip.Hash, (ulong)tip.Header.Height), CancellationToken.None);
        int count = await service.AnnounceAsync(tip);

        Assert.Equal(1, count);
        Assert.Equal(["other"], AnnouncedTo(sent, tip));
    }

    [Fact]
    public async Task Announce_PeerAnnouncedADescendantOnOurChain_NotAnnouncedToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var ahead = RecordingPeer("ahead", sent);
        service.OnPeerConnected(ahead);

        await service.OnMessageAsync(ahead, new BlockAnnouncementMessage(_blocks[^1].Hash, (ulong)_blocks[^1].Header.Height), CancellationToken.None);
        await service.AnnounceAsync(_blocks[^3]);

        Assert.Empty(AnnouncedTo(sent, _blocks[^3]));
    }

    /// <summary>A claim is believed only for blocks on our own (validated) chain: a peer cannot fake having a block.</summary>
    [Fact]
    public async Task Announce_PeerClaimsAHigherHashNotOnOurChain_StillAnnouncedToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var liar = RecordingPeer("liar", sent);
        service.OnPeerConnected(liar);

        await service.OnMessageAsync(liar, new BlockAnnouncementMessage(Hash256.DoubleSha256("made up"u8), 5_000), CancellationToken.None);
        await service.AnnounceAsync(_blocks[^1]);

        Assert.Equal(["liar"], AnnouncedTo(sent, _blocks[^1]));
    }

    /// <summary>
    /// A made-up height does not stick: the record of what a peer has gives way to the next thing it tells us when our
    /// chain does not confirm it (it used to keep the highest height, so one made-up announcement hid every real one).
    /// </summary>
    [Fact]
    public async Task Announce_PeerMadeUpAHeightThenAnnouncedOurTip_NotAnnouncedToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var peer = RecordingPeer("peer", sent);
        service.OnPeerConnected(peer);

        await service.OnMessageAsync(peer, new BlockAnnouncementMessage(Hash256.DoubleSha256("made up"u8), 5_000), CancellationToken.None);
        await service.OnMessageAsync(peer, new BlockAnnouncementMessage(_blocks[^1].Hash, (ulong)_blocks[^1].Header.Height), CancellationToken.None);
        await service.AnnounceAsync(_blocks[^1]);

        Assert.Empty(AnnouncedTo(sent, _blocks[^1]));
    }

    [Fact]
    public async Task Announce_PeerAnnouncedAnAncestor_StillAnnouncedToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var behind = RecordingPeer("behind", sent);
        service.OnPeerConnected(behind);

        await service.OnMessageAsync(behind, new BlockAnnouncementMessage(_blocks[^2].Hash, (ulong)_blocks[^2].Header.Height), CancellationToken.None);
        await service.AnnounceAsync(_blocks[^1]);

        Assert.Equal(["behind"], AnnouncedTo(sent, _blocks[^1]));
    }

    [Fact]
    public async Task Announce_PeerDeliveredTheBlock_NotAnnouncedToIt()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        var server = RecordingPeer("server", sent);
        service.OnPeerConnected(server);

        await service.OnMessageAsync(server, new BlocksMessage([BlockCodec.Encode(_blocks[^2]), BlockCodec.Encode(_blocks[^1])]), CancellationToken.None);
        await service.AnnounceAsync(_blocks[^1]);

        Assert.Empty(AnnouncedTo(sent, _blocks[^1]));
    }

    [Fact]
    public async Task Announce_SameBlockTwice_EachPeerGetsItOnce()
    {
        var service = Service();
        var sent = new List<(string, NetworkMessage)>();
        service.OnPeerConnected(RecordingPeer("a", sent));
        service.OnPeerConnected(RecordingPeer("b", sent));

        await service.AnnounceAsync(_blocks[^1]);
        int second = await service.AnnounceAsync(_blocks[^1]);

        Assert.Equal(0, second);
        Assert.Equal(["a", "b"], AnnouncedTo(sent, _blocks[^1]));
    }

    [Fact]
    public void ServeHeaders_LocatorWithOurBlock_ReturnsHeadersAfterItUpToMaxCount()
    {
        var request = new GetHeadersMessage([Hash256.DoubleSha256("unknown"u8), _blocks[39].Hash, _chain.Parameters.GenesisHash], default, 25);

        var headers = Decode(Service().ServeHeaders(request));

        Assert.Equal(25, headers.Count);
        Assert.Equal(41, headers[0].Height);
        Assert.Equal(_blocks[64].Hash, headers[^1].Hash);
    }

    [Fact]
    public void ServeHeaders_AskForMoreThanTheConfiguredMaximum_CappedAtTheMaximum()
    {
        var request = new GetHeadersMessage([_chain.Parameters.GenesisHash], default, 2_000);

        var headers = Decode(Service(new ChainSyncServiceOptions { MaxHeadersPerReply = 10 }).ServeHeaders(request));

        Assert.Equal(Enumerable.Range(1, 10).Select(h => (long)h), headers.Select(h => h.Height));
    }

    [Fact]
    public void ServeHeaders_StopHash_EndsTheReplyAtThatHeader()
    {
        var request = new GetHeadersMessage([_blocks[9].Hash], _blocks[14].Hash, 2_000);

        var headers = Decode(Service().ServeHeaders(request));

        Assert.Equal(_blocks[10..15].Select(b => b.Hash), headers.Select(h => h.Hash));
    }

    [Fact]
    public void ServeBlocks_ByteBudgetForThreeBlocks_RepliesWithThreeInOrder()
    {
        long size = BlockCodec.Encode(_blocks[0]).Length;
        var service = Service(new ChainSyncServiceOptions { MaxBlockBytesPerReply = (int)(size * 3 + size / 2) });

        var reply = service.ServeBlocks(new GetBlocksMessage(_blocks[..10].Select(b => b.Hash).ToList()));

        Assert.Equal(3, reply.Blocks.Count);
        Assert.Equal(BlockCodec.Encode(_blocks[2]), reply.Blocks[2].ToArray());
    }

    [Fact]
    public void ServeBlocks_UnknownHashes_AreSkipped()
    {
        var request = new GetBlocksMessage([_blocks[5].Hash, Hash256.DoubleSha256("nope"u8), _blocks[6].Hash]);

        var reply = Service().ServeBlocks(request);

        Assert.Equal([BlockCodec.Encode(_blocks[5]), BlockCodec.Encode(_blocks[6])], reply.Blocks.Select(b => b.ToArray()));
    }

    [Fact]
    public async Task OnMessageAsync_GetBlocksFromAnyPeer_RepliesToThatPeer()
    {
        var service = Service();
        var inbound = Substitute.For<IPeer>();
        inbound.IsInbound.Returns(true);
        inbound.PeerId.Returns("inbound");
        inbound.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(ValueTask.FromResult(true));

        await service.OnMessageAsync(inbound, new GetBlocksMessage([_blocks[0].Hash]), CancellationToken.None);

        await inbound.Received(1).SendAsync(Arg.Is<NetworkMessage>(m => m is BlocksMessage && ((BlocksMessage)m).Blocks.Count == 1), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task OnMessageAsync_HeaderWithForgedSignature_ReportedAsForgedSignature()
    {
        var service = Service();
        var reports = new List<(IPeer Peer, ViolationKind Kind, string Detail)>();
        _coordinator.PeerMisbehaved += (peer, kind, detail) => reports.Add((peer, kind, detail));
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("forger");
        var forged = _blocks[0].Header.WithSignature(new byte[PublicKey.SignatureSize]);

        await service.OnMessageAsync(peer, new HeadersMessage([BlockCodec.EncodeHeader(forged)]), CancellationToken.None);

        var report = Assert.Single(reports);
        Assert.Same(peer, report.Peer);
        Assert.Equal(ViolationKind.ForgedSignature, report.Kind);
    }

    [Fact]
    public async Task OnMessageAsync_UndecodableBlock_ReportedAsMalformed()
    {
        var service = Service();
        var reports = new List<ViolationKind>();
        _coordinator.PeerMisbehaved += (_, kind, _) => reports.Add(kind);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("garbage");

        await service.OnMessageAsync(peer, new BlocksMessage([new byte[10]]), CancellationToken.None);

        Assert.Equal([ViolationKind.MalformedMessage], reports);
    }
}

/// <summary>Nothing on the receive path queues without a bound (issue 9, finding 2).</summary>
public sealed class SyncCoordinatorQueueTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;
    private readonly ChainStore _store;
    private readonly SyncCoordinator _coordinator;

    public SyncCoordinatorQueueTests()
    {
        _database = NodeDatabase.Open(_directory.Path);
        _store = ChainStore.Open(_database, _chain.Parameters);
        _coordinator = new SyncCoordinator(_store, new SyncCoordinatorOptions { MaxQueuedEvents = 4 }, new FakeTimeProvider(SyncTestChain.Clock),
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

    [Fact]
    public async Task OnBlocksReceived_QueueFull_DelivererWaitsUntilTheLoopDrains()
    {
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("p");
        for (int i = 0; i < 4; i++)
            Assert.True(_coordinator.OnBlocksReceivedAsync(peer, []).IsCompletedSuccessfully);

        var fifth = _coordinator.OnBlocksReceivedAsync(peer, []).AsTask();
        await Task.Delay(50);
        Assert.False(fifth.IsCompleted); // bounded: the fifth waits, nothing grows
        Assert.Equal(4, _coordinator.QueuedEvents);

        _coordinator.Start();
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
