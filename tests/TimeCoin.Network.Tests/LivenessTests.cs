using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Liveness over the in-memory transport on a fake clock: a peer that never answers pings.</summary>
public class LivenessTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress PeerIp = IPAddress.Parse("10.0.0.2");

    private sealed class Setup : IAsyncDisposable
    {
        public required FakeTimeProvider Time { get; init; }
        public required TestNode Node { get; init; }
        public required RawPeer Peer { get; init; }
        public required CapturingLoggerFactory Logs { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Peer.DisposeAsync();
            await Node.DisposeAsync();
        }
    }

    private static async Task<Setup> ConnectSilentPeerAsync(bool whitelisted, Core.Liveness.PingOptions? ping = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        var options = new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(NodeIp, 24200),
            WhitelistedPeers = whitelisted ? [PeerIp.ToString()] : [],
            DefaultPort = 24999,
            Ping = ping ?? Core.Liveness.PingOptions.Default,
        };
        var node = new TestNode(network.CreateTransport(NodeIp), options, time, loggers: logs);
        await node.StartAsync();
        var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint, time: time);
        Assert.True(peer.Handshake!.IsSuccess);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is registered");
        peer.StartDraining(); // reads everything, answers nothing: every pong is withheld
        // The fake clock starts only once the connection's liveness driver has sent its first ping (at fake time 0),
        // so every window below is measured from that ping, however late the connection loop started on a busy machine.
        await Until(() => peer.Received.Any(m => m is PingMessage), "the first ping is sent", TimeSpan.FromSeconds(60));
        return new Setup { Time = time, Node = node, Peer = peer, Logs = logs };
    }

    private static async Task StepAsync(FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Yield();
    }

    [Fact]
    public async Task Liveness_WhitelistedPeerWithholdsPongsForFiveMinutes_StaysConnectedAndKeepsGettingPings()
    {
        await using var s = await ConnectSilentPeerAsync(whitelisted: true);

        for (int second = 0; second < 300; second++)
            await StepAsync(s.Time);

        // Keep-alives at their exact interval, measured on the wire: 0, 15, ..., 300 s (a fixed 10 s check tick gave 16).
        await Until(() => s.Peer.Received.Count(m => m is PingMessage) >= 21, "keep-alive pings every 15 s arrive", TimeSpan.FromSeconds(60));
        Assert.Equal(21, s.Peer.Received.Count(m => m is PingMessage));
        var peer = Assert.Single(s.Node.Manager.Peers);
        Assert.False(peer.IsClosed);
        Assert.Empty(s.Node.Manager.RecentDisconnects);
        Assert.Equal(0, peer.PingStatistics.MissedPongs);
    }

    [Fact]
    public async Task Liveness_OrdinaryPeerWithholdsPongs_DisconnectedByItsLimitsBetween120And170Seconds()
    {
        await using var s = await ConnectSilentPeerAsync(whitelisted: false);
        var start = s.Time.GetUtcNow();

        TimeSpan? disconnectedAfter = null;
        for (int second = 0; second < 200 && disconnectedAfter is null; second++)
        {
            await StepAsync(s.Time);
            if (s.Node.Manager.RecentDisconnects.Count > 0)
                disconnectedAfter = s.Time.GetUtcNow() - start;
        }

        Assert.NotNull(disconnectedAfter);
        var record = Assert.Single(s.Node.Manager.RecentDisconnects);
        // Pings at 0, 30, 60 s unanswered; the third times out at 60 + 90 s (required window 120-170 s). The record's
        // own virtual time is checked: the loop may see the record a step or two late when the machine is loaded.
        Assert.InRange((record.At - start).TotalSeconds, 150, 151);
        Assert.InRange(disconnectedAfter.Value.TotalSeconds, 150, 170);
        Assert.Contains("missed 3 pongs", record.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(s.Logs.Entries, e => e.Level == LogLevel.Critical);
        await Until(() => s.Node.Manager.Peers.Count == 0, "the peer is removed");
    }

    [Fact]
    public async Task Liveness_PingIntervalShorterThanTheCheckInterval_PingsAtTheConfiguredIntervalAndCutAtTheWindowEnd()
    {
        // Measured from outside before the fix: ping 2 s / timeout 6 s / 3 missed pinged every 10 s and cut after 40 s.
        var ping = Core.Liveness.PingOptions.Default with
        {
            PingInterval = TimeSpan.FromSeconds(2), PongTimeout = TimeSpan.FromSeconds(6), MaxMissedPongs = 3,
        };
        await using var s = await ConnectSilentPeerAsync(whitelisted: false, ping);
        var start = s.Time.GetUtcNow();

        TimeSpan? disconnectedAfter = null;
        for (int second = 0; second < 60 && disconnectedAfter is null; second++)
        {
            await StepAsync(s.Time);
            if (second == 8)
                await Until(() => s.Peer.Received.Count(m => m is PingMessage) >= 5, "pings every 2 s arrive (0, 2, 4, 6, 8)");
            if (s.Node.Manager.RecentDisconnects.Count > 0)
                disconnectedAfter = s.Time.GetUtcNow() - start;
        }

        Assert.NotNull(disconnectedAfter);
        // Pings at 0, 2, 4 s unanswered; the third times out just after 4 + 6 s.
        Assert.InRange(disconnectedAfter.Value.TotalSeconds, 10, 11);
        Assert.Contains("missed 3 pongs", Assert.Single(s.Node.Manager.RecentDisconnects).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Liveness_WhitelistedPeerSilentBeyondItsLenientLimits_DisconnectLoggedAsCritical()
    {
        await using var s = await ConnectSilentPeerAsync(whitelisted: true);

        for (int second = 0; second < 900 && s.Node.Manager.RecentDisconnects.Count == 0; second++)
            await StepAsync(s.Time);

        var record = Assert.Single(s.Node.Manager.RecentDisconnects);
        Assert.True(record.WasWhitelisted);
        Assert.Contains("lenient", record.Reason, StringComparison.Ordinal);
        Assert.Contains(s.Logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains("missed 10 pongs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Liveness_SilentOrdinaryPeerWhitelistedThroughThePolicy_KeepAliveGoesOutAtOnceAndItIsKept()
    {
        await using var s = await ConnectSilentPeerAsync(whitelisted: false);
        var start = s.Time.GetUtcNow();
        for (int second = 0; second < 141; second++)
            await StepAsync(s.Time);
        await Until(() => s.Peer.Received.Count(m => m is PingMessage) >= 5, "pings at 0, 30, 60, 90, 120 s arrive");
        Assert.Equal(5, s.Peer.Received.Count(m => m is PingMessage));

        // Whitelisted at 141 s (an rpc entry; a masternode proved by a handshake takes the same path): the manager tells
        // the connection's driver, which polls now. The keep-alive is due since 135 s (15 s after the last ping), so it
        // goes out at 141 s without the clock moving; before, the driver slept until its 10 s cap (150 s).
        s.Node.Policy.AddWhitelist(IpRange.FromAddress(PeerIp), WhitelistSource.Rpc, "test");

        await Until(() => s.Peer.Received.Count(m => m is PingMessage) >= 6, "the keep-alive goes out at once");
        var keepAlive = (PingMessage)s.Peer.Received.Last(m => m is PingMessage);
        Assert.Equal((start + TimeSpan.FromSeconds(141)).ToUnixTimeMilliseconds(), keepAlive.Timestamp);
        for (int second = 141; second < 300; second++)
            await StepAsync(s.Time);
        Assert.Empty(s.Node.Manager.RecentDisconnects); // the lenient limits (300 s / 10) apply: ordinary would cut at 150 s
    }

    [Fact]
    public async Task Connection_WhitelistChangesWhileConnected_ClassAndPermissionsFollowEachChange()
    {
        // A connection keeps what the policy said of its address until the whitelist's version changes: each change
        // (add, a wider entry, remove) must show on the next read.
        await using var s = await ConnectSilentPeerAsync(whitelisted: false);
        var peer = s.Node.Manager.Peers.Single();
        Assert.False(peer.IsWhitelisted);
        Assert.Equal(PeerPermissions.None, peer.Permissions);

        s.Node.Policy.AddWhitelist(IpRange.FromAddress(PeerIp), WhitelistSource.Rpc, "test", PeerPermissions.NoBan);
        Assert.True(peer.IsWhitelisted);
        Assert.Equal(PeerPermissions.NoBan, peer.Permissions);

        s.Node.Policy.AddWhitelist(IpRange.Parse("10.0.0.0/24"), WhitelistSource.Config, "lan", PeerPermissions.LenientLiveness);
        Assert.Equal(PeerPermissions.NoBan | PeerPermissions.LenientLiveness, peer.Permissions);

        Assert.True(s.Node.Policy.RemoveWhitelist(IpRange.FromAddress(PeerIp), WhitelistSource.Rpc));
        Assert.Equal(PeerPermissions.LenientLiveness, peer.Permissions);
        Assert.True(s.Node.Policy.RemoveWhitelist(IpRange.Parse("10.0.0.0/24"), WhitelistSource.Config));
        Assert.False(peer.IsWhitelisted);
        Assert.Equal(PeerPermissions.None, peer.Permissions);
    }

    [Fact]
    public async Task Liveness_PeerAnswersPings_RoundTripMeasuredAndStaysConnected()
    {
        await using var s = await ConnectSilentPeerAsync(whitelisted: false);
        await Until(() => s.Peer.Received.Any(m => m is PingMessage), "the first ping arrives");
        var ping = (PingMessage)s.Peer.Received.First(m => m is PingMessage);

        await s.Peer.Writer.WriteAsync(new PongMessage(ping.Nonce, 0, 9));

        await Until(() => s.Node.Manager.Peers.Single().BestHeight == 9, "the pong is processed");
        Assert.NotNull(s.Node.Manager.GetPeerInfos().Single().LastPingRtt);
    }
}
