using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Block download is flow-controlled, not cut by the default per-message rate limit (over loopback TCP).</summary>
public class SyncRateLimitTests
{
    private readonly TcpTransport _tcp = new();

    private static async Task SendAsync(RawPeer peer, NetworkMessage message) => Assert.True(await peer.Writer.WriteAsync(message));

    private static int Count<T>(TestNode node) => node.Handler.Messages.Count(m => m.Message is T);

    [Fact]
    public async Task ReadLoop_GetBlocksFasterThanTheDefaultRate_EveryRequestReachesTheHandler()
    {
        var policy = new PeerPolicyOptions { DefaultRateLimit = new RateLimit(1, 2) };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions(), policyOptions: policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 50; i++)
            await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(i)]));
        // Replies to the node's own 50 requests (a Blocks message nobody asked for would be a violation).
        await Until(() => node.Manager.Peers.Count == 1, "the node registered the peer (its side of the handshake ended)");
        var atNode = Assert.Single(node.Manager.Peers);
        for (int i = 0; i < 50; i++)
            Assert.True(await atNode.SendAsync(new GetBlocksMessage([TestData.HashOf(1000 + i)])));
        for (int i = 0; i < 50; i++)
            await SendAsync(peer, new BlocksMessage([new byte[] { 1, 2, 3 }]));

        await Until(() => Count<GetBlocksMessage>(node) == 50 && Count<BlocksMessage>(node) == 50, "all 100 block messages are handled");
        Assert.Equal(0, node.Policy.GetViolationScore(IPAddress.Loopback));
    }

    [Fact]
    public async Task ReadLoop_PeerManuallyWhitelistedAndUnlistedWhileConnected_RateCheckFollowsTheWhitelist()
    {
        // The connection keeps the policy's "manually whitelisted" answer until the whitelist changes: a change made
        // while the peer is connected applies to its next message, both ways.
        var policy = new PeerPolicyOptions { DefaultRateLimit = new RateLimit(0.001, 2) };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions(), policyOptions: policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 2; i++) // the burst: both pass, the bucket is empty now
            await SendAsync(peer, new GetHeadersMessage([TestData.HashOf(i)], default, 10));
        await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(90)]));
        await Until(() => Count<GetBlocksMessage>(node) == 1, "the first marker is handled");
        Assert.Equal(2, Count<GetHeadersMessage>(node));

        Assert.True(node.Policy.AddWhitelist(IpRange.Parse("127.0.0.1"), WhitelistSource.Config, "test"));
        for (int i = 0; i < 5; i++) // exempt now: none dropped, none scored
            await SendAsync(peer, new GetHeadersMessage([TestData.HashOf(10 + i)], default, 10));
        await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(91)]));
        await Until(() => Count<GetBlocksMessage>(node) == 2, "the second marker is handled");
        Assert.Equal(7, Count<GetHeadersMessage>(node));
        Assert.Equal(0, node.Policy.GetViolationScore(IPAddress.Loopback));

        Assert.True(node.Policy.RemoveWhitelist(IpRange.Parse("127.0.0.1"), WhitelistSource.Config));
        await SendAsync(peer, new GetHeadersMessage([TestData.HashOf(20)], default, 10)); // limited again: dropped, scored
        await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(92)]));
        await Until(() => Count<GetBlocksMessage>(node) == 3, "the third marker is handled");
        Assert.Equal(7, Count<GetHeadersMessage>(node));
        Assert.Equal(1, node.Policy.GetViolationScore(IPAddress.Loopback));
    }

    [Fact]
    public async Task ReadLoop_GetHeadersFasterThanTheDefaultRate_ExcessDroppedAndRecorded()
    {
        var policy = new PeerPolicyOptions { DefaultRateLimit = new RateLimit(0.001, 2) };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions(), policyOptions: policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 3; i++) // burst 2: the third is dropped (three drops would ban the peer)
            await SendAsync(peer, new GetHeadersMessage([TestData.HashOf(i)], default, 10));
        // Messages are handled in order: once a later GetBlocks is seen, every GetHeaders before it was decided.
        await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(99)]));

        await Until(() => Count<GetBlocksMessage>(node) == 1, "the GetBlocks after them is handled");
        Assert.Equal(2, Count<GetHeadersMessage>(node));
        Assert.Equal(1, node.Policy.GetViolationScore(IPAddress.Loopback));
    }

    [Fact]
    public async Task ReadLoop_ExplicitGetBlocksLimit_StillApplies()
    {
        var policy = new PeerPolicyOptions
        {
            DefaultRateLimit = new RateLimit(1000, 1000),
            RateLimits = new Dictionary<string, RateLimit> { [nameof(MessageType.GetBlocks)] = new(0.001, 3) },
        };
        await using var node = new TestNode(_tcp, TestNode.LoopbackOptions(), policyOptions: policy);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(_tcp, node.EndPoint);
        peer.StartDraining();

        for (int i = 0; i < 4; i++) // burst 3: the fourth is dropped
            await SendAsync(peer, new GetBlocksMessage([TestData.HashOf(i)]));
        await SendAsync(peer, new GetHeadersMessage([TestData.HashOf(99)], default, 10));

        await Until(() => Count<GetHeadersMessage>(node) == 1, "the GetHeaders after them is handled");
        Assert.Equal(3, Count<GetBlocksMessage>(node));
        Assert.Equal(1, node.Policy.GetViolationScore(IPAddress.Loopback));
    }
}
