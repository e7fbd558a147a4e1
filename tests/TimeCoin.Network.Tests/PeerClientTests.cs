using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Client;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The public peer client against a real connection manager on the in-memory transport, and against a scripted node
/// (a listener that runs the production handshake and then does exactly what a test says) for timeouts and closes.
/// </summary>
public class PeerClientTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress OtherIp = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress ClientIp = IPAddress.Parse("10.0.0.9");
    private static readonly IPEndPoint NodeEndPoint = new(NodeIp, 24200);

    private static ConnectionManagerOptions NodeOptions(IPAddress ip, params string[] persistent) => new()
    {
        ListenEndPoint = new IPEndPoint(ip, 24200),
        DefaultPort = 24200,
        PersistentPeers = persistent,
        DialInterval = TimeSpan.FromMilliseconds(20),
    };

    private static PeerClientOptions ClientOptions(InMemoryNetwork network, TimeProvider? time = null, KeyPair? key = null) => new()
    {
        Transport = network.CreateTransport(ClientIp),
        Time = time,
        NodeKey = key,
    };

    [Fact]
    public async Task ConnectAsync_NodeOnTheSameNetwork_HandshakesAsAnOrdinaryInboundPeer()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        using var clientKey = KeyPair.Generate();

        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network, key: clientKey));

        Assert.Equal(node.Key.PublicKey, client.Remote.NodeId);
        Assert.Equal(Chain.GenesisHash, client.Remote.GenesisHash);
        Assert.Equal((3L, Tip), client.LatestTip);
        await Until(() => node.Manager.FindPeer(clientKey.PublicKey) is not null, "the node registers the client");
        var asSeenByNode = node.Manager.FindPeer(clientKey.PublicKey)!;
        Assert.True(asSeenByNode.IsInbound);
        Assert.False(asSeenByNode.IsMasternode);
    }

    [Fact]
    public async Task GetBestHeightAsync_NodeAnswersThePing_ReturnsTheNodesHeight()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));

        Assert.Equal(3, await client.GetBestHeightAsync());
    }

    [Fact]
    public async Task GetPeersAsync_NodeIsConnectedToAnotherNode_ReturnsThatNodesAddress()
    {
        var network = new InMemoryNetwork();
        await using var other = new TestNode(network.CreateTransport(OtherIp), NodeOptions(OtherIp));
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp, "10.0.0.2:24200"));
        await other.StartAsync();
        await node.StartAsync();
        await Until(() => node.PeerFor(other) is not null, "the node connects to the other node");
        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));

        var peers = await client.GetPeersAsync();

        Assert.Contains(new IPEndPoint(OtherIp, 24200), peers);
        Assert.DoesNotContain(peers, p => p.Address.Equals(ClientIp));
    }

    [Fact]
    public async Task GetMasternodesAsync_NodeHoldsASignedAnnouncement_ReturnsIt()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        await using var masternode = await RawPeer.ConnectAsync(network.CreateTransport(OtherIp), NodeEndPoint);
        masternode.StartDraining();
        var announcement = MasternodeAnnouncement.Create(masternode.Key, Chain.NetworkName, "10.0.0.2:24200", MasternodeTier.Gold, DateTimeOffset.UtcNow);
        await masternode.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
        // The node keeps the announcement to hand out, then adds the announced address: once the address is known,
        // the announcement is stored.
        await Until(() => node.Manager.GetKnownAddresses().Any(a => a.EndPoint.Equals(new IPEndPoint(OtherIp, 24200))), "the node stores the announcement");
        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));

        var masternodes = await client.GetMasternodesAsync();

        var only = Assert.Single(masternodes);
        Assert.Equal(masternode.Key.PublicKey, only.MasternodeKey);
        Assert.Equal("10.0.0.2:24200", only.Address);
        Assert.Equal(MasternodeTier.Gold, only.Tier);
    }

    [Fact]
    public async Task Announcements_NodeBroadcastsABlock_ClientReceivesItAndLatestTipRises()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        using var clientKey = KeyPair.Generate();
        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network, key: clientKey));
        await Until(() => node.Manager.FindPeer(clientKey.PublicKey) is not null, "the node registers the client");
        var block = TestData.HashOf(42);

        Assert.Equal(1, node.Manager.Broadcast(new BlockAnnouncementMessage(block, 10)));

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await client.Announcements.ReadAsync(wait.Token);
        Assert.Equal(new BlockAnnouncementMessage(block, 10), received);
        Assert.Equal((10L, block), client.LatestTip);
    }

    /// <summary>The client speaks protocol version 3, so a node announces to it with the header: it reads it as the same announcement.</summary>
    [Fact]
    public async Task Announcements_NodeAnnouncesWithTheHeader_ClientReceivesTheAnnouncement()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        using var clientKey = KeyPair.Generate();
        await using var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network, key: clientKey));
        await Until(() => node.Manager.FindPeer(clientKey.PublicKey) is not null, "the node registers the client");
        Assert.Equal(HeaderAnnouncementMessage.MinimumProtocolVersion, node.Manager.FindPeer(clientKey.PublicKey)!.ProtocolVersion);
        var block = TestData.HashOf(43);

        Assert.Equal(1, node.Manager.Broadcast(new HeaderAnnouncementMessage(block, 11, new byte[192])));

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await client.Announcements.ReadAsync(wait.Token);
        Assert.Equal(new BlockAnnouncementMessage(block, 11), received);
        Assert.Equal((11L, block), client.LatestTip);
    }

    [Fact]
    public async Task ConnectAsync_NodeOnAnotherNetwork_ThrowsWithTheHandshakeFailure()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();

        var error = await Assert.ThrowsAsync<PeerClientException>(() => PeerClient.ConnectAsync(NodeEndPoint, ChainParameters.Testnet, ClientOptions(network)));

        Assert.Equal(HandshakeFailure.WrongNetwork, error.HandshakeFailure);
        Assert.Equal(NodeEndPoint, error.EndPoint);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsNamingTheEndpoint()
    {
        var network = new InMemoryNetwork();

        var error = await Assert.ThrowsAsync<PeerClientException>(() => PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network)));

        Assert.Null(error.HandshakeFailure);
        Assert.IsType<TransportException>(error.InnerException);
        Assert.Contains(NodeEndPoint.ToString(), error.Message);
    }

    [Fact]
    public async Task ConnectAsync_InvalidOptions_ThrowsNamingEachSetting()
    {
        var options = new PeerClientOptions { RequestTimeout = TimeSpan.Zero, AnnouncementCapacity = 0 };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => PeerClient.ConnectAsync(NodeEndPoint, Chain, options));

        Assert.Contains(nameof(PeerClientOptions.RequestTimeout), error.Message);
        Assert.Contains(nameof(PeerClientOptions.AnnouncementCapacity), error.Message);
    }

    [Fact]
    public async Task ConnectAsync_NodeNeverAnswersTheHandshake_FailsAtTheHandshakeTimeoutOnVirtualTime()
    {
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(NodeIp).ListenAsync(NodeEndPoint);
        var clock = new FakeTimeProvider();
        var options = ClientOptions(network, clock) with { HandshakeTimeout = TimeSpan.FromSeconds(5) };

        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, options);
        await using var silent = (await listener.AcceptAsync())!;
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(connecting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));

        var error = await Assert.ThrowsAsync<PeerClientException>(() => connecting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(HandshakeFailure.TimedOut, error.HandshakeFailure);
    }

    [Fact]
    public async Task GetPeersAsync_NodeNeverAnswers_ThrowsTimeoutAtTheRequestTimeoutOnVirtualTime()
    {
        var network = new InMemoryNetwork();
        await using var node = await ScriptedNode.ListenAsync(network);
        var clock = new FakeTimeProvider();
        var options = ClientOptions(network, clock) with { RequestTimeout = TimeSpan.FromSeconds(3) };
        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, options);
        await node.AcceptAndHandshakeAsync();
        await using var client = await connecting;

        var asking = client.GetPeersAsync();
        await node.ExpectAsync<GetPeersMessage>();
        clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(asking.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));

        await Task.WhenAny(asking, Task.Delay(TimeSpan.FromSeconds(10))); // real-time guard only: the fake clock decides
        Assert.True(asking.IsCompleted, "the request did not end at its timeout");
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => asking);
        Assert.Contains("did not answer GetPeers within 3 s", timeout.Message);
        Assert.False(client.IsClosed); // a slow answer is not a broken connection: the next request may be answered
        var again = client.GetPeersAsync();
        await node.ExpectAsync<GetPeersMessage>();
        await node.Writer.WriteAsync(new PeersMessage([new IPEndPoint(OtherIp, 24200)]));
        Assert.Equal([new IPEndPoint(OtherIp, 24200)], await again.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task GetMasternodesAsync_ListWithForgedAndForeignAnnouncements_ReturnsOnlyTheVerifiedOneOfThisNetwork()
    {
        var network = new InMemoryNetwork();
        await using var node = await ScriptedNode.ListenAsync(network);
        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));
        await node.AcceptAndHandshakeAsync();
        await using var client = await connecting;
        using var honest = KeyPair.Generate();
        using var forger = KeyPair.Generate();
        using var foreign = KeyPair.Generate();
        var good = MasternodeAnnouncement.Create(honest, Chain.NetworkName, "10.0.0.3:24200", MasternodeTier.Silver, DateTimeOffset.UtcNow);
        var signedByForger = MasternodeAnnouncement.Create(forger, Chain.NetworkName, "10.0.0.4:24200", MasternodeTier.Gold, DateTimeOffset.UtcNow);
        var forged = new MasternodeAnnouncement(Chain.NetworkName, honest.PublicKey, "10.0.0.4:24200", MasternodeTier.Gold,
            signedByForger.Timestamp, signedByForger.Signature.Span); // claims the honest key, signed by another
        var otherNetwork = MasternodeAnnouncement.Create(foreign, ChainParameters.Testnet.NetworkName, "10.0.0.5:24200", MasternodeTier.Bronze, DateTimeOffset.UtcNow);

        var asking = client.GetMasternodesAsync();
        await node.ExpectAsync<GetMasternodesMessage>();
        await node.Writer.WriteAsync(new MasternodesMessage([good.Encode(), forged.Encode(), otherNetwork.Encode(), new byte[] { 1, 2, 3 }]));

        var only = Assert.Single(await asking.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(honest.PublicKey, only.MasternodeKey);
        Assert.Equal("10.0.0.3:24200", only.Address);
    }

    [Fact]
    public async Task ReadLoop_NodePings_ClientAnswersWithTheSameNonce()
    {
        var network = new InMemoryNetwork();
        await using var node = await ScriptedNode.ListenAsync(network);
        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));
        await node.AcceptAndHandshakeAsync();
        await using var client = await connecting;

        await node.Writer.WriteAsync(new PingMessage(0xfeed, 1, 3));

        var pong = await node.ExpectAsync<PongMessage>();
        Assert.Equal(0xfeedUL, pong.Nonce);
    }

    [Fact]
    public async Task ReadLoop_NodeStopsReadingItsPongs_ClientClosesAtTheRequestTimeoutOnVirtualTime()
    {
        var network = new InMemoryNetwork();
        await using var node = await ScriptedNode.ListenAsync(network);
        var clock = new FakeTimeProvider();
        var options = ClientOptions(network, clock) with { RequestTimeout = TimeSpan.FromSeconds(3) };
        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, options);
        await node.AcceptAndHandshakeAsync();
        await using var client = await connecting;

        // The node pings without ever reading: the client's pongs pile up until its write waits for the node to read.
        using var stopPinging = new CancellationTokenSource();
        var pinging = Task.Run(async () =>
        {
            for (ulong nonce = 0; !stopPinging.IsCancellationRequested; nonce++)
            {
                if (!await node.Writer.WriteAsync(new PingMessage(nonce, 1, 3), stopPinging.Token))
                    return;
            }
        });
        try
        {
            await Until(() => node.UnreadBytes() >= PipeBufferLimits.PauseWriterThreshold, "the client's pong write waits for the node to read");
            clock.Advance(TimeSpan.FromSeconds(2.9));
            Assert.False(client.IsClosed, client.CloseReason);

            clock.Advance(TimeSpan.FromSeconds(0.1));

            await Until(() => client.IsClosed, "the client gives up on the node that does not read");
            Assert.Contains("did not read a Pong within 3 s", client.CloseReason);
        }
        finally
        {
            // However the test ends, nothing waits on the stuck pipe (a goodbye write would wait on the fake clock).
            stopPinging.Cancel();
            network.BreakConnections(ClientIp);
            await Task.WhenAny(pinging, Task.Delay(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task PendingRequest_NodeClosesTheConnection_ThrowsClosedAndAnnouncementsComplete()
    {
        var network = new InMemoryNetwork();
        await using var node = await ScriptedNode.ListenAsync(network);
        var connecting = PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network));
        await node.AcceptAndHandshakeAsync();
        await using var client = await connecting;
        var asking = client.GetBestHeightAsync();
        await node.ExpectAsync<PingMessage>();

        await node.Writer.WriteAsync(new GoodbyeMessage("maintenance"));

        var error = await Assert.ThrowsAsync<PeerClientException>(() => asking.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("goodbye: maintenance", error.Message);
        Assert.True(client.IsClosed);
        Assert.Equal("goodbye: maintenance", client.CloseReason);
        await client.Announcements.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<PeerClientException>(() => client.GetPeersAsync());
    }

    [Fact]
    public async Task CloseAsync_ConnectedToANode_NodeRecordsAnOrderlyGoodbye()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), NodeOptions(NodeIp));
        await node.StartAsync();
        using var clientKey = KeyPair.Generate();
        var client = await PeerClient.ConnectAsync(NodeEndPoint, Chain, ClientOptions(network, key: clientKey));
        await Until(() => node.Manager.FindPeer(clientKey.PublicKey) is not null, "the node registers the client");

        await client.DisposeAsync();

        Assert.True(client.IsClosed);
        await Until(() => node.Manager.RecentDisconnects.Any(d => d.PeerId == clientKey.PublicKey.ToString()), "the node records the close");
        Assert.Equal("goodbye: client closing", node.Manager.RecentDisconnects.Single(d => d.PeerId == clientKey.PublicKey.ToString()).Reason);
    }

    /// <summary>A node that runs the production handshake and then only does what the test tells it.</summary>
    private sealed class ScriptedNode : IAsyncDisposable
    {
        private readonly IConnectionListener _listener;
        private readonly KeyPair _key = KeyPair.Generate();
        private ITransportConnection? _connection;

        private ScriptedNode(IConnectionListener listener) => _listener = listener;

        public MessageReader Reader { get; private set; } = null!;
        public FrameWriter Writer { get; private set; } = null!;

        public static async Task<ScriptedNode> ListenAsync(InMemoryNetwork network) =>
            new(await network.CreateTransport(NodeIp).ListenAsync(NodeEndPoint));

        public async Task AcceptAndHandshakeAsync()
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            _connection = await _listener.AcceptAsync(wait.Token) ?? throw new InvalidOperationException("listener closed");
            var magic = NetworkMagic.For(Chain);
            Reader = new MessageReader(new FrameReader(_connection.Input, magic), _connection.RemoteEndPoint.Address, NullViolationSink.Instance);
            Writer = new FrameWriter(_connection.Output, magic);
            var handshake = await new HandshakeDriver(InfoFor(_key), _key, TimeProvider.System, NullViolationSink.Instance)
                .RunAsync(_connection, Reader, Writer, cancellationToken: wait.Token);
            Assert.True(handshake.IsSuccess, handshake.Detail);
        }

        /// <summary>Bytes the client sent that this node has not read (peeked; nothing is consumed).</summary>
        public long UnreadBytes()
        {
            var input = _connection!.Input;
            if (!input.TryRead(out var result))
                return 0;
            long length = result.Buffer.Length;
            input.AdvanceTo(result.Buffer.Start);
            return length;
        }

        public async Task<T> ExpectAsync<T>() where T : NetworkMessage
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var read = await Reader.ReadAsync(wait.Token);
                if (read.Status != MessageReadStatus.Message)
                    Assert.Fail($"no {typeof(T).Name}: {read.Status} {read.CloseReason}");
                if (read.Message is T typed)
                    return typed;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
            {
                _connection.Close();
                Writer.Dispose();
                await _connection.DisposeAsync();
            }
            await _listener.DisposeAsync();
            _key.Dispose();
        }
    }
}
