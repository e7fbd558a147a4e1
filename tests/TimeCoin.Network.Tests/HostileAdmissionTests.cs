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
}
