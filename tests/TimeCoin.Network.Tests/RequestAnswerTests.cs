using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Only what answers our own ping or request counts as its answer (session 9 review).</summary>
public class RequestAnswerTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.3.1");
    private static readonly IPAddress PeerIp = IPAddress.Parse("10.9.3.66");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    /// <summary>
    /// A pong whose nonce is none of our pings is not an answer: it raised the peer's claimed height all the same,
    /// so a peer could push its claim up at the rate of pongs without ever being asked.
    /// </summary>
    [Fact]
    public async Task Pong_UnknownNonce_DoesNotRaiseTheClaimedHeight()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        peer.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");
        await Until(() => peer.Received.Any(m => m is PingMessage), "the first ping arrives");
        var ping = (PingMessage)peer.Received.First(m => m is PingMessage);
        var connection = node.Manager.Peers.Single();
        Assert.Equal(3, connection.BestHeight); // its Version's

        await peer.Writer.WriteAsync(new PongMessage(ping.Nonce ^ 0x5A5A, 0, 9));
        await peer.Writer.WriteAsync(new GetHeadersMessage([Tip], default, 1)); // reaches the handler after the pong
        await Until(() => node.Handler.Messages.Any(m => m.Message is GetHeadersMessage), "the pong is processed");
        Assert.Equal(3, connection.BestHeight);

        await peer.Writer.WriteAsync(new PongMessage(ping.Nonce, 0, 9));
        await Until(() => connection.BestHeight == 9, "the pong answering our ping raises it");
    }

    /// <summary>
    /// A Headers reply dropped by the rate limiter still answers its request: the request stayed open, and a later
    /// Headers nobody asked for was taken as its answer (delivered to the node, not scored as unrequested).
    /// </summary>
    [Fact]
    public async Task Headers_ReplyDroppedByTheRateLimit_ClosesItsRequest()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var policy = new PeerPolicyOptions
        {
            RateLimits = new Dictionary<string, RateLimit>(PeerPolicyOptions.GossipRateLimits) { [nameof(MessageType.Headers)] = new(1, 1) },
        };
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time, policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");
        var connection = node.Manager.Peers.Single();

        await connection.SendAsync(new GetHeadersMessage([Tip], default, 10));
        await connection.SendAsync(new GetHeadersMessage([Tip], default, 10));
        await peer.ExpectAsync<GetHeadersMessage>();
        await peer.ExpectAsync<GetHeadersMessage>();
        await peer.Writer.WriteAsync(new HeadersMessage([new byte[] { 1 }]));
        await peer.Writer.WriteAsync(new HeadersMessage([new byte[] { 2 }])); // above the limit: dropped
        await Until(() => node.Policy.GetViolationScore(PeerIp) > 0, "the excess reply is dropped and scored");
        int scoreAfterDrop = node.Policy.GetViolationScore(PeerIp);
        time.Advance(TimeSpan.FromSeconds(10)); // the bucket refills

        await peer.Writer.WriteAsync(new HeadersMessage([new byte[] { 3 }])); // nobody asked for it
        await peer.Writer.WriteAsync(new GetHeadersMessage([Tip], default, 1)); // reaches the handler after it
        await Until(() => node.Handler.Messages.Any(m => m.Message is GetHeadersMessage), "the unsolicited reply is processed");

        Assert.Single(node.Handler.Messages, m => m.Message is HeadersMessage);
        Assert.True(node.Policy.GetViolationScore(PeerIp) > scoreAfterDrop, "the unsolicited Headers is scored as unrequested");
    }

    /// <summary>The same for a Masternodes list: one dropped above its rate limit closes its GetMasternodes.</summary>
    [Fact]
    public async Task Masternodes_ListDroppedByTheRateLimit_ClosesItsRequest()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var policy = new PeerPolicyOptions
        {
            RateLimits = new Dictionary<string, RateLimit>(PeerPolicyOptions.GossipRateLimits) { [nameof(MessageType.Masternodes)] = new(1, 1) },
        };
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time, policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");
        var connection = node.Manager.Peers.Single();

        await connection.SendAsync(new GetMasternodesMessage());
        await connection.SendAsync(new GetMasternodesMessage());
        await peer.ExpectAsync<GetMasternodesMessage>();
        await peer.ExpectAsync<GetMasternodesMessage>();
        await peer.Writer.WriteAsync(new MasternodesMessage([]));
        await peer.Writer.WriteAsync(new MasternodesMessage([])); // above the limit: dropped
        await Until(() => node.Policy.GetViolationScore(PeerIp) > 0, "the excess list is dropped and scored");
        int scoreAfterDrop = node.Policy.GetViolationScore(PeerIp);
        time.Advance(TimeSpan.FromSeconds(10)); // the bucket refills

        await peer.Writer.WriteAsync(new MasternodesMessage([])); // nobody asked for it
        await Until(() => node.Policy.GetViolationScore(PeerIp) > scoreAfterDrop, "the unsolicited list is scored as unrequested");
    }
}
