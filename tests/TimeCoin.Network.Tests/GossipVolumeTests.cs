using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Rate-limit excess costs one violation per window; manual entries are exempt (issue 9, finding 6). The relay fan-out is tested in <see cref="GossipTrickleTests"/>.</summary>
public class GossipVolumeTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.5.0.1");
    private static readonly IPAddress PeerIp = IPAddress.Parse("10.5.0.2");

    private static ConnectionManagerOptions Options(params string[] whitelist) => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
        WhitelistedPeers = whitelist,
    };

    private static readonly PeerPolicyOptions Tight = new() { DefaultRateLimit = new RateLimit(0.001, 2) };

    [Fact]
    public async Task RateLimit_BurstOfTenAboveTheLimit_ExcessDroppedAndScoredOnceNotBanned()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), policyOptions: Tight);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 12; i++) // burst 2: ten above the limit
            await peer.Writer.WriteAsync(new GetPeersMessage());
        await peer.Writer.WriteAsync(new GetMasternodesMessage()); // handled in order: once it is answered, all were decided
        await Until(() => peer.Received.OfType<MasternodesMessage>().Any(), "the marker is answered");

        Assert.Equal(1, node.Policy.GetViolationScore(PeerIp));
        Assert.False(node.Policy.IsBanned(PeerIp));
        Assert.Single(node.Manager.Peers);
        Assert.Equal(2, peer.Received.OfType<PeersMessage>().Count());
    }

    /// <summary>
    /// Buckets belong to the node id, so a second connection of one node does not double its allowance; and they stay
    /// while any connection of the node is live, so a duplicate that is closed does not refill the one that stays (a
    /// node could otherwise reset its buckets by redialing).
    /// </summary>
    [Fact]
    public async Task RateLimit_DuplicateConnectionClosed_BucketsOfTheNodeNotRefilled()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), policyOptions: Tight);
        await node.StartAsync();
        using var key = KeyPair.Generate();
        await using var first = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint, key);
        var firstEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Manager.ConnectionEnded += peer =>
        {
            if (peer.RemoteEndPoint.Equals(first.Connection.LocalEndPoint))
                firstEnded.TrySetResult();
        };
        first.StartDraining();
        for (int i = 0; i < 2; i++) // the whole burst
            await first.Writer.WriteAsync(new GetPeersMessage());
        await Until(() => first.Received.OfType<PeersMessage>().Count() == 2, "the burst is answered");

        // The node redials: the newer connection stays, the older one is closed as a duplicate.
        await using var second = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint, key);
        second.StartDraining();
        await Until(() => first.Closed, "the older connection is closed");
        await firstEnded.Task.WaitAsync(TimeSpan.FromSeconds(10)); // its loop ended and released what it held
        for (int i = 0; i < 2; i++)
            await second.Writer.WriteAsync(new GetPeersMessage());
        await second.Writer.WriteAsync(new GetMasternodesMessage()); // handled in order: once answered, all were decided
        await Until(() => second.Received.OfType<MasternodesMessage>().Any(), "the marker is answered");

        Assert.Empty(second.Received.OfType<PeersMessage>());
    }

    [Fact]
    public async Task RateLimit_ManuallyWhitelistedPeer_ExemptEveryMessageHandled()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options("prioritysync@" + PeerIp), policyOptions: Tight);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 12; i++)
            await peer.Writer.WriteAsync(new GetPeersMessage());

        await Until(() => peer.Received.OfType<PeersMessage>().Count() == 12, "all twelve answered");
        Assert.Equal(0, node.Policy.GetViolationScore(PeerIp));
    }

    /// <summary>
    /// Every copy of a heartbeat from an unannounced masternode used to ask the peer for its whole masternode list: in
    /// the 100-node simulation that was about 5,000 lists per node-hour, 88 % of all bytes. One request per peer per
    /// <see cref="ConnectionManagerOptions.MasternodeListRequestInterval"/> now.
    /// </summary>
    [Fact]
    public async Task Heartbeat_ManyFromUnannouncedMasternodes_MasternodeListAskedOncePerInterval()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        peer.StartDraining();
        var keys = Enumerable.Range(0, 5).Select(_ => KeyPair.Generate()).ToList();
        try
        {
            ulong sequence = 1;
            foreach (var key in keys)
            {
                var heartbeat = Heartbeat.Create(key, Chain.NetworkName, "10.5.9.9:24200", sequence++, DateTimeOffset.UtcNow, 3);
                await peer.Writer.WriteAsync(new HeartbeatMessage(heartbeat.Encode()));
            }
            await peer.Writer.WriteAsync(new GetPeersMessage()); // handled in order: once it is answered, all were handled
            await Until(() => peer.Received.OfType<PeersMessage>().Any(), "the marker is answered");

            Assert.Single(peer.Received.OfType<GetMasternodesMessage>());
        }
        finally
        {
            foreach (var key in keys)
                key.Dispose();
        }
    }
}
