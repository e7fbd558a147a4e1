using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Headers and blocks nobody asked for are a violation, not liveness, and never reach the node (issue 9, finding 2).</summary>
public class UnrequestedDataTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.4.0.1");
    private static readonly IPAddress AttackerIp = IPAddress.Parse("10.4.0.66");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    [Fact]
    public async Task Blocks_Unsolicited_ScoredAsUnrequestedDataDroppedAndTheSenderBanned()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");

        for (int i = 0; i < 3; i++)
            await attacker.Writer.WriteAsync(new BlocksMessage([new byte[1000]]));
        await attacker.Writer.WriteAsync(new HeadersMessage([new byte[100]]));

        await Until(() => node.Policy.IsBanned(AttackerIp), "three unrequested replies ban the sender");
        await Until(() => node.Manager.Peers.Count == 0, "the attacker is disconnected");
        Assert.DoesNotContain(node.Handler.Messages, m => m.Message is BlocksMessage or HeadersMessage);
    }

    [Fact]
    public async Task Headers_ReplyToOurRequest_DeliveredToTheHandlerWithoutViolation()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");

        await node.Manager.Peers[0].SendAsync(new GetHeadersMessage([Tip], default, 10));
        await peer.ExpectAsync<GetHeadersMessage>();
        await peer.Writer.WriteAsync(new HeadersMessage([new byte[] { 1, 2, 3 }]));

        await Until(() => node.Handler.Messages.Any(m => m.Message is HeadersMessage), "the reply reaches the handler");
        Assert.Equal(0, node.Policy.GetViolationScore(AttackerIp));
        // A second reply to the same single request is unrequested.
        await peer.Writer.WriteAsync(new HeadersMessage([new byte[] { 4, 5, 6 }]));
        await Until(() => node.Policy.GetViolationScore(AttackerIp) == 1, "the extra reply is scored");
        Assert.Single(node.Handler.Messages, m => m.Message is HeadersMessage);
    }
}
