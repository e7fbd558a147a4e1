using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// A hostile peer against admission: pending handshakes held by one IP, an oversized frame before the handshake, a
/// connection that never handshakes, and rate-limit buckets refilled by redialing (from the session 9 review,
/// HostilePeerReviewTests on rev-net).
/// </summary>
public class HostileAdmissionTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.0.1");
    private static readonly IPAddress AttackerIp = IPAddress.Parse("10.9.0.66");
    private static readonly IPAddress FriendIp = IPAddress.Parse("10.9.0.7");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    /// <summary>
    /// One IP opens MaxPendingInboundHandshakes connections and never sends its Version: a whitelisted peer from
    /// another IP is still admitted.
    /// </summary>
    [Fact]
    public async Task PendingHandshakes_AllHeldByOneIp_WhitelistedPeerFromAnotherIpStillAdmitted()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: the silent handshakes never time out
        var options = Options() with { MaxPendingInboundHandshakes = 4, WhitelistedPeers = [FriendIp.ToString()] };
        await using var node = new TestNode(network.CreateTransport(NodeIp), options, time);
        await node.StartAsync();

        var silent = new List<RawPeer>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var peer = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
                silent.Add(peer);
                await peer.ExpectAsync<VersionMessage>(); // the node accepted it and waits for our Version
            }

            await using var friend = await RawPeer.ConnectAsync(network.CreateTransport(FriendIp), node.EndPoint);

            Assert.True(friend.Handshake!.IsSuccess, $"whitelisted peer refused: {friend.Handshake.Failure} {friend.Handshake.Detail}");
        }
        finally
        {
            foreach (var peer in silent)
                await peer.DisposeAsync();
        }
    }

    /// <summary>
    /// One IP may hold at most MaxPendingInboundHandshakesPerIp handshakes: its further connections are refused before
    /// any byte (the Warning written once, not once per refusal), while an ordinary peer from another IP is admitted.
    /// </summary>
    [Fact]
    public async Task PendingHandshakes_OneIpAtItsLimit_ItsNextRefusedAnotherIpAdmitted()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: the silent handshakes never time out
        var logs = new CapturingLoggerFactory();
        var options = Options() with { MaxPendingInboundHandshakes = 8, MaxPendingInboundHandshakesPerIp = 2 };
        await using var node = new TestNode(network.CreateTransport(NodeIp), options, time, loggers: logs);
        await node.StartAsync();

        var silent = new List<RawPeer>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var peer = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
                silent.Add(peer);
                await peer.ExpectAsync<VersionMessage>();
            }
            for (int i = 0; i < 3; i++)
            {
                await using var refused = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
                Assert.Empty(await refused.ReadUntilClosedAsync(TimeSpan.FromSeconds(5))); // not even our Version
            }

            await using var other = await RawPeer.ConnectAsync(network.CreateTransport(FriendIp), node.EndPoint);

            Assert.True(other.Handshake!.IsSuccess, $"peer from another IP refused: {other.Handshake.Failure} {other.Handshake.Detail}");
            Assert.Equal(3, node.Manager.RefusedInboundCount);
            Assert.Single(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("pending", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var peer in silent)
                await peer.DisposeAsync();
        }
    }

    /// <summary>
    /// A full node (two honest inbound peers) admits a connection that never sends its Version without evicting
    /// either honest peer.
    /// </summary>
    [Fact]
    public async Task Admission_FullNodeAndAConnectionThatNeverHandshakes_NoHonestPeerEvicted()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time,
            new PeerPolicyOptions { MaxInbound = 2, ReservedInboundSlots = 0 });
        await node.StartAsync();
        await using var first = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.9.2.1")), node.EndPoint);
        await using var second = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.9.2.2")), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 2, "two honest peers fill the inbound slots");

        await using var silent = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
        await silent.ExpectAsync<VersionMessage>(); // admitted: the node started its handshake

        Assert.DoesNotContain(node.Manager.RecentDisconnects, d => d.Reason.StartsWith("evicted", StringComparison.Ordinal));
        Assert.Equal(2, node.Manager.Peers.Count(p => !p.IsClosed));
    }

    /// <summary>
    /// Admission is decided again when the handshake completes: a newcomer admitted at accept (an unprotected peer
    /// could be evicted then) is closed with a goodbye once it handshakes if every inbound peer became protected
    /// meanwhile, and the protected peer stays.
    /// </summary>
    [Fact]
    public async Task Admission_SlotsProtectedDuringTheHandshake_NewcomerClosedAfterIt()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time,
            new PeerPolicyOptions { MaxInbound = 1, ReservedInboundSlots = 0 });
        await node.StartAsync();
        var honestIp = IPAddress.Parse("10.9.2.1");
        await using var honest = await RawPeer.ConnectAsync(network.CreateTransport(honestIp), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "the honest peer fills the inbound slot");

        await using var newcomer = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
        var peek = await newcomer.Connection.Input.ReadAsync(); // the node's Version arrived: admitted at accept
        newcomer.Connection.Input.AdvanceTo(peek.Buffer.Start); // left for the handshake to read
        Assert.True(node.Policy.AddWhitelist(TimeCoin.Core.Policy.IpRange.FromAddress(honestIp), WhitelistSource.Rpc, "test"));
        var info = InfoFor(newcomer.Key);
        var handshake = await new HandshakeDriver(info, newcomer.Key, TimeProvider.System, newcomer.Sink).RunAsync(
            newcomer.Connection, newcomer.Reader, newcomer.Writer, info);
        Assert.True(handshake.IsSuccess, $"{handshake.Failure} {handshake.Detail}");

        var goodbye = await newcomer.ExpectAsync<GoodbyeMessage>();

        Assert.StartsWith("no inbound slot", goodbye.Reason, StringComparison.Ordinal);
        Assert.NotNull(node.Manager.FindPeer(honest.Key.PublicKey));
        Assert.Null(node.Manager.FindPeer(newcomer.Key.PublicKey));
        Assert.Equal(1, node.Manager.RefusedInboundCount);
    }

    /// <summary>
    /// Rate-limit buckets outlive the connection: a peer that closes and redials (same node id) does not start with
    /// full buckets.
    /// </summary>
    [Fact]
    public async Task RateLimit_SameNodeClosesAndRedials_BucketsNotRefilled() => await RedialTwiceAsync(sameNode: true);

    /// <summary>A new node id from the same address takes the drained buckets over as well.</summary>
    [Fact]
    public async Task RateLimit_NewNodeIdRedialsFromTheSameIp_BucketsNotRefilled() => await RedialTwiceAsync(sameNode: false);

    private static async Task RedialTwiceAsync(bool sameNode)
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: a bucket never refills by time
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        using var key = KeyPair.Generate();
        int answered = 0;

        for (int round = 0; round < 2; round++)
        {
            await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, key: sameNode ? key : null);
            attacker.StartDraining();
            await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");
            for (int i = 0; i < 150; i++)
                await attacker.Writer.WriteAsync(new GetPeersMessage());
            await attacker.Writer.WriteAsync(new GetMasternodesMessage()); // metered apart: its answer marks the end
            await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node read every request");
            answered += attacker.Received.OfType<PeersMessage>().Count();
            attacker.Connection.Close();
            int disconnects = round + 1;
            await Until(() => node.Handler.Disconnected.Count == disconnects, "the node released the connection");
        }

        Assert.True(answered <= 100, $"{answered} GetPeers answered at a burst of 100 (frozen clock)");
    }

    /// <summary>
    /// Before the handshake only a Version (under 1 KiB) or a VerAck may come: a frame header announcing 4 MiB closes
    /// the connection at once (frozen clock: the handshake timeout cannot be what ends it).
    /// </summary>
    [Fact]
    public async Task Handshake_VersionFrameAnnouncingFourMiB_ClosedAtOnce()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: the handshake timeout never ends the wait
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, handshake: false);
        await attacker.ExpectAsync<VersionMessage>();

        var header = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(header, NetworkMagic.For(Chain), (ushort)MessageType.Version, (uint)FrameFormat.DefaultMaxPayloadLength, 0);
        await attacker.Connection.Output.WriteAsync(header);
        await attacker.Connection.Output.WriteAsync(new byte[1024 * 1024]); // a quarter of it, and then nothing

        await attacker.ReadUntilClosedAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(node.Policy.Options.SevereViolationWeight, node.Policy.GetViolationScore(AttackerIp)); // an oversized frame
    }

    /// <summary>A VerAck-sized frame limit holds only during the handshake: a completed handshake reads a full frame.</summary>
    [Fact]
    public async Task Handshake_Completed_FramesAboveTheHandshakeLimitStillRead()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(FriendIp), node.EndPoint);
        peer.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");

        var addresses = Enumerable.Range(0, 1000).Select(i => new IPEndPoint(IPAddress.Parse($"198.51.{100 + i / 250}.{1 + i % 250}"), 24200)).ToList();
        Assert.True(MessageCodec.Encode(new PeersMessage(addresses)).Length > ProtocolLimits.MaxHandshakePayloadLength);
        await peer.Writer.WriteAsync(new PeersMessage(addresses));
        await peer.Writer.WriteAsync(new GetMasternodesMessage()); // handled in order: once answered, the big frame was read
        await Until(() => peer.Received.OfType<MasternodesMessage>().Any(), "the node answers after the big frame");

        Assert.Equal(0, node.Policy.GetViolationScore(FriendIp));
        Assert.False(peer.Closed);
    }
}
