using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>The connection manager over real loopback TCP.</summary>
public class ConnectionManagerTcpTests
{
    private readonly TcpTransport _tcp = new();

    [Fact]
    public async Task Start_TwoNodesOneDialing_BothRegisterTheOtherByNodeIdAndTellTheirHandler()
    {
        await using var b = new TestNode(_tcp, TestNode.LoopbackOptions());
        await b.StartAsync();
        await using var a = new TestNode(_tcp, TestNode.LoopbackOptions() with { BootstrapPeers = [b.EndPoint.ToString()] });
        await a.StartAsync();

        // A peer is listed (PeerFor) as soon as it registers; its node tells the handler right after, on the same
        // thread, so a busy machine can show the one without the other for a moment: wait for both.
        await Until(() => a.PeerFor(b) is not null && b.PeerFor(a) is not null
                          && a.Handler.Connected.Any(p => p.NodeId == b.Key.PublicKey) && b.Handler.Connected.Any(p => p.NodeId == a.Key.PublicKey),
            "both nodes see each other and told their handlers");

        Assert.False(a.PeerFor(b)!.IsInbound);
        Assert.True(b.PeerFor(a)!.IsInbound);
        Assert.Equal(3, a.PeerFor(b)!.BestHeight);
        Assert.Contains(a.Handler.Connected, p => p.NodeId == b.Key.PublicKey);
        Assert.Contains(b.Handler.Connected, p => p.NodeId == a.Key.PublicKey);
        Assert.Equal(1, a.Manager.OutboundCount);
        Assert.Equal(1, b.Manager.InboundCount);
        var info = Assert.Single(b.Manager.GetPeerInfos());
        Assert.Equal(a.Key.PublicKey.ToString(), info.PeerId);
        Assert.True(info.IsInbound);
    }

    public enum HandshakeFault { WrongMagic, WrongNetworkName, WrongGenesis, OldVersion, ForgedNodeId, SelfConnection }

    [Theory]
    [InlineData(HandshakeFault.WrongMagic, true)]
    [InlineData(HandshakeFault.WrongNetworkName, true)]
    [InlineData(HandshakeFault.WrongGenesis, true)]
    [InlineData(HandshakeFault.ForgedNodeId, true)]
    [InlineData(HandshakeFault.OldVersion, false)]
    [InlineData(HandshakeFault.SelfConnection, false)]
    public async Task Accept_HandshakeFault_ConnectionClosedNoPeerAndSevereOnesBanned(HandshakeFault fault, bool severe)
    {
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions());
        await node.StartAsync();
        using var key = KeyPair.Generate();
        using var other = KeyPair.Generate();
        var info = fault switch
        {
            HandshakeFault.WrongMagic => InfoFor(key, magic: NetworkMagic.Testnet),
            HandshakeFault.WrongNetworkName => InfoFor(key, name: "othernet"),
            HandshakeFault.WrongGenesis => InfoFor(key, genesis: TestData.OtherGenesis),
            HandshakeFault.OldVersion => InfoFor(key, version: 0),
            // Claims another node's id; its VerAck signature (made with its real key) cannot verify.
            HandshakeFault.ForgedNodeId => InfoFor(key) with { NodeId = other.PublicKey },
            _ => InfoFor(node.Key) with { },
        };
        var signingKey = fault == HandshakeFault.SelfConnection ? node.Key : key;
        if (fault == HandshakeFault.ForgedNodeId)
        {
            await using var forger = await ForgeAsync(node.EndPoint, key, other);
        }
        else
        {
            await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint, signingKey, info);
            Assert.False(peer.Handshake!.IsSuccess);
        }

        await Until(() => !severe || node.Policy.IsBanned(IPAddress.Loopback), "the severe violation is recorded");
        Assert.Empty(node.Manager.Peers);
        Assert.Empty(node.Handler.Connected);
        Assert.Equal(severe, node.Policy.GetViolationScore(IPAddress.Loopback) > 0 || node.Policy.IsBanned(IPAddress.Loopback));
    }

    private async Task<RawPeer> ForgeAsync(IPEndPoint server, KeyPair realKey, KeyPair claimed)
    {
        // The driver refuses a key that does not match the announced id, so sign the VerAck by hand.
        var peer = await RawPeer.ConnectAsync(_tcp, server, realKey, handshake: false);
        var info = InfoFor(realKey) with { NodeId = claimed.PublicKey };
        await peer.Writer.WriteAsync(info.ToVersionMessage(12345, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        var theirs = await peer.ExpectAsync<VersionMessage>();
        await peer.Writer.WriteAsync(new VerAckMessage(HandshakeProof.Sign(realKey, info.NetworkMagic, theirs.Nonce, theirs.NodeId)));
        await peer.ReadUntilClosedAsync();
        return peer;
    }

    [Fact]
    public async Task Accept_PeerSendsNothing_ClosedAtHandshakeTimeout()
    {
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions() with { Handshake = new HandshakeOptions { Timeout = TimeSpan.FromMilliseconds(300) } });
        await node.StartAsync();
        await using var silent = await RawPeer.ConnectAsync(_tcp, node.EndPoint, handshake: false);

        var before = await silent.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));

        Assert.IsType<VersionMessage>(Assert.Single(before));
        Assert.Empty(node.Manager.Peers);
    }

    [Fact]
    public async Task Accept_BlacklistedInConfig_RefusedBeforeAnyHandshakeMessage()
    {
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions() with { BlacklistedPeers = ["127.0.0.1"] });
        await node.StartAsync();

        await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint, handshake: false);
        var messages = await peer.ReadUntilClosedAsync();

        Assert.Empty(messages); // not even our Version: refused at accept
        Assert.Equal(1, node.Manager.RefusedInboundCount);
        Assert.Contains(node.Policy.ListBans(), b => b.Source == BanSource.Config);
    }

    [Fact]
    public async Task Accept_RuntimeBan_RefusedAndLiftedBanAdmitsAgain()
    {
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions());
        await node.StartAsync();
        node.Policy.Ban(IpRange.Parse("127.0.0.1"), TimeSpan.FromHours(1), "test", BanSource.Rpc);
        await using (var refused = await RawPeer.ConnectAsync(_tcp, node.EndPoint, handshake: false))
            Assert.Empty(await refused.ReadUntilClosedAsync());

        node.Policy.Unban(IpRange.Parse("127.0.0.1"));
        await using var admitted = await RawPeer.ConnectAsync(_tcp, node.EndPoint);

        Assert.True(admitted.Handshake!.IsSuccess);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is registered");
    }

    [Fact]
    public async Task Accept_Full_EvictsTheYoungestUnprotectedInboundPeer()
    {
        var policy = new PeerPolicyOptions { MaxInbound = 2, ReservedInboundSlots = 0, MaxInboundPerIp = 10 };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions(), policyOptions: policy);
        await node.StartAsync();
        await using var oldest = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "first peer registered");
        await using var youngest = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 2, "second peer registered");

        await using var newcomer = await RawPeer.ConnectAsync(_tcp, node.EndPoint);

        Assert.True(newcomer.Handshake!.IsSuccess);
        await Until(() => node.Manager.FindPeer(youngest.Key.PublicKey) is null && node.Manager.FindPeer(newcomer.Key.PublicKey) is not null, "the youngest is evicted");
        Assert.NotNull(node.Manager.FindPeer(oldest.Key.PublicKey));
        Assert.Contains(node.Manager.RecentDisconnects, d => d.PeerId == youngest.Key.PublicKey.ToString() && d.Reason.StartsWith("evicted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Accept_FullOfWhitelistedPeers_NewcomerRejected()
    {
        var policy = new PeerPolicyOptions { MaxInbound = 1, ReservedInboundSlots = 0, MaxInboundPerIp = 10 };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions() with { WhitelistedPeers = ["noban,reservedslot@127.0.0.0/8"] }, policyOptions: policy);
        await node.StartAsync();
        await using var trusted = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "first peer registered");

        await using var newcomer = await RawPeer.ConnectAsync(_tcp, node.EndPoint, handshake: false);

        Assert.Empty(await newcomer.ReadUntilClosedAsync());
        Assert.NotNull(node.Manager.FindPeer(trusted.Key.PublicKey));
    }

    [Fact]
    public async Task Dial_RemoteRestartsThreeTimesOnTheSamePort_DialerReconnectsEveryTime()
    {
        using var remoteKey = KeyPair.Generate();
        var first = new TestNode(_tcp, TestNode.LoopbackOptions(), key: KeyPair.FromPrivateKey(remoteKey.ExportPrivateKey()));
        await first.StartAsync();
        int port = first.EndPoint.Port;
        await using var dialer = new TestNode(_tcp, TestNode.LoopbackOptions() with { BootstrapPeers = [first.EndPoint.ToString()] });
        await dialer.StartAsync();
        await Until(() => dialer.Manager.FindPeer(remoteKey.PublicKey) is not null, "first connection");

        var remote = first;
        for (int restart = 1; restart <= 3; restart++)
        {
            await remote.DisposeAsync();
            await Until(() => dialer.Manager.FindPeer(remoteKey.PublicKey) is null, $"the dialer sees restart {restart}");
            remote = new TestNode(_tcp, TestNode.LoopbackOptions(port), key: KeyPair.FromPrivateKey(remoteKey.ExportPrivateKey()));
            await remote.StartAsync();
            await Until(() => dialer.Manager.FindPeer(remoteKey.PublicKey) is not null, $"reconnected after restart {restart}");
        }
        await remote.DisposeAsync();
        Assert.True(dialer.Manager.RecentDisconnects.Count >= 3);
    }

    /// <summary>
    /// A real simultaneous dial, every time: both dials are held until both are in flight (before, on a loaded machine
    /// one side was sometimes connected before its dial loop ran, so there was no duplicate to resolve and the test
    /// could only check the tie-break when one happened). Both handshakes complete; each side keeps the connection the
    /// lower node id dialed and closes the other as a duplicate.
    /// </summary>
    [Fact]
    public async Task Dial_BothNodesDialEachOtherAtOnce_OneConnectionRemainsDialedByTheLowerNodeId()
    {
        for (int round = 0; round < 3; round++)
        {
            var bothDialing = new DialBarrier(2);
            await using var a = new TestNode(new HeldDialTransport(_tcp, bothDialing), TestNode.LoopbackOptions());
            await using var b = new TestNode(new HeldDialTransport(_tcp, bothDialing), TestNode.LoopbackOptions());
            await a.StartAsync();
            await b.StartAsync();
            a.Manager.AddPeer(b.EndPoint, persistent: true);
            b.Manager.AddPeer(a.EndPoint, persistent: true);

            await Until(() => a.Manager.RecentDisconnects.Concat(b.Manager.RecentDisconnects).Any(d => d.Reason.Contains("duplicate", StringComparison.Ordinal)),
                "a duplicate was resolved");
            await Until(() => a.Manager.Peers.Count == 1 && b.Manager.Peers.Count == 1 && a.PeerFor(b)!.IsInbound != b.PeerFor(a)!.IsInbound, "one agreed connection");

            var lower = a.Key.PublicKey.CompareTo(b.Key.PublicKey) < 0 ? a : b;
            var higher = ReferenceEquals(lower, a) ? b : a;
            Assert.False(lower.PeerFor(higher)!.IsInbound); // the lower id dialed the connection that stayed
            Assert.True(higher.PeerFor(lower)!.IsInbound);
            Assert.Single(a.Manager.Peers);
            Assert.Single(b.Manager.Peers);
        }
    }

    /// <summary>Completes once <c>count</c> dials have been asked for.</summary>
    private sealed class DialBarrier(int count)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref _arrived) >= count)
                _all.TrySetResult();
            return _all.Task;
        }
    }

    /// <summary>A transport whose dials wait at a barrier before connecting (listening is unchanged).</summary>
    private sealed class HeldDialTransport(ITransport inner, DialBarrier barrier) : ITransport
    {
        public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default) =>
            inner.ListenAsync(endpoint, cancellationToken);

        public async ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
        {
            await barrier.ArriveAsync().WaitAsync(cancellationToken);
            return await inner.DialAsync(remote, cancellationToken);
        }
    }

    [Fact]
    public async Task Messages_SameRequestOnInboundAndOutbound_AnsweredBothWays()
    {
        await using var b = new TestNode(_tcp, TestNode.LoopbackOptions());
        await b.StartAsync();
        await using var a = new TestNode(_tcp, TestNode.LoopbackOptions() with { BootstrapPeers = [b.EndPoint.ToString()] });
        await a.StartAsync();
        await Until(() => a.PeerFor(b) is not null && b.PeerFor(a) is not null, "connected");
        var request = new GetHeadersMessage([ConnectionTestKit.Tip], Hash256.Zero, 10);

        await a.PeerFor(b)!.SendAsync(request); // answered by b on its inbound connection
        await b.PeerFor(a)!.SendAsync(request); // answered by a on its outbound connection

        await Until(() => a.Handler.Messages.Any(m => m.Message is HeadersMessage) && b.Handler.Messages.Any(m => m.Message is HeadersMessage), "both got headers");
        Assert.Contains(b.Handler.Messages, m => m.Message is GetHeadersMessage && m.Peer.IsInbound);
        Assert.Contains(a.Handler.Messages, m => m.Message is GetHeadersMessage && !m.Peer.IsInbound);
    }
}
