using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>The bytes queued for one peer are bounded, not only the number of messages (session 9 review, rev-net).</summary>
public class SendQueueBytesTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.0.1");
    private static readonly IPAddress AttackerIp = IPAddress.Parse("10.9.0.66");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    /// <summary>
    /// Review (hostile peer, rev-net 1dfd31b). The send queue is bounded by messages (256), not bytes. A peer that
    /// sends GetBlocks (not rate-limited: "flow controlled") and does not read made the node hold 256 full replies
    /// (fresh arrays from the store, up to 4 MiB each: about 1 GiB per connection) before its read loop stopped. Here
    /// each reply is 256 KiB.
    /// </summary>
    [Fact]
    public async Task GetBlocks_PeerNeverReads_RepliesQueuedAreBoundedByBytes()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var nodeKey = KeyPair.Generate();
        var handler = new BlockServingHandler(256 * 1024);
        var policy = new PeerPolicy(new PeerPolicyOptions(), time);
        var masternodes = new HeartbeatRegistry(HeartbeatOptions.Default, time, Chain.NetworkName);
        await using var manager = new ConnectionManager(network.CreateTransport(NodeIp), nodeKey, Chain, () => (3, Tip), policy, masternodes,
            handler, Options(), time, NullLoggerFactory.Instance, 1);
        await manager.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), manager.LocalEndPoint!);
        await Until(() => manager.Peers.Count == 1, "the attacker is connected");

        for (int i = 0; i < 400; i++)
            await attacker.Writer.WriteAsync(new GetBlocksMessage([TestData.HashOf(i)]));
        // Give the node 5 s to serve more than a byte bound allows (it serves all 400 at once without one); with the
        // bound it stops at about 4 MiB of queued replies and the wait runs out.
        await Until(() => handler.Served >= 65, "the node served many replies", TimeSpan.FromSeconds(5)).ContinueWith(_ => { });

        Assert.True(handler.Served <= 64, $"{handler.Served} replies of 256 KiB ({handler.Served / 4} MiB) held for one peer that reads nothing");
    }

    /// <summary>
    /// The bound is back-pressure, not a cut: once the peer reads, the waiting requests are served, every one of them
    /// answered in order.
    /// </summary>
    [Fact]
    public async Task GetBlocks_PeerReadsLate_EveryRequestAnswered()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var nodeKey = KeyPair.Generate();
        var handler = new BlockServingHandler(256 * 1024);
        var policy = new PeerPolicy(new PeerPolicyOptions(), time);
        var masternodes = new HeartbeatRegistry(HeartbeatOptions.Default, time, Chain.NetworkName);
        await using var manager = new ConnectionManager(network.CreateTransport(NodeIp), nodeKey, Chain, () => (3, Tip), policy, masternodes,
            handler, Options(), time, NullLoggerFactory.Instance, 1);
        await manager.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), manager.LocalEndPoint!);
        await Until(() => manager.Peers.Count == 1, "the peer is connected");

        for (int i = 0; i < 100; i++)
            await attacker.Writer.WriteAsync(new GetBlocksMessage([TestData.HashOf(i)]));
        await Until(() => handler.Served >= 10, "the node served the first replies");
        attacker.StartDraining();

        await Until(() => attacker.Received.OfType<BlocksMessage>().Count() == 100, "every request is answered");
        Assert.Equal(100, handler.Served);
        Assert.Single(manager.Peers);
    }

    /// <summary>Answers every GetBlocks with a fresh reply of the given size, as a node serving from its store does.</summary>
    private sealed class BlockServingHandler(int replyBytes) : IPeerMessageHandler
    {
        private int _served;

        public int Served => Volatile.Read(ref _served);

        public void OnPeerConnected(IPeer peer)
        {
        }

        public void OnPeerDisconnected(IPeer peer, string reason)
        {
        }

        public async ValueTask OnMessageAsync(IPeer peer, NetworkMessage message, CancellationToken cancellationToken)
        {
            if (message is GetBlocksMessage)
            {
                Interlocked.Increment(ref _served);
                await peer.SendAsync(new BlocksMessage([new byte[replyBytes]]), cancellationToken);
            }
        }
    }
}
