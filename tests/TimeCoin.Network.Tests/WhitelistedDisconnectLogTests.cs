using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The Critical "whitelisted peer disconnected" line is the event the analysis counts: only the loss of the last
/// connection to a whitelisted peer for a reason other than an orderly goodbye (issue 9, finding 8).
/// </summary>
public class WhitelistedDisconnectLogTests
{
    private static readonly IPAddress IpA = IPAddress.Parse("10.2.0.1");
    private static readonly IPAddress IpB = IPAddress.Parse("10.2.0.2");

    private static ConnectionManagerOptions Options(IPAddress self, IPAddress other) => new()
    {
        ListenEndPoint = new IPEndPoint(self, 24200),
        DefaultPort = 24200,
        WhitelistedPeers = [other.ToString()],
        TargetOutbound = 0,
        DialInterval = TimeSpan.FromMilliseconds(20),
        Reconnect = new ReconnectBackoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(100)),
    };

    private static int Criticals(CapturingLoggerFactory logs) =>
        logs.Entries.Count(e => e.Level == LogLevel.Critical && e.Message.Contains("Whitelisted peer", StringComparison.Ordinal));

    [Fact]
    public async Task Duplicate_WhitelistedNodeConnectsTwice_OneConnectionKeptAndNoCriticalLine()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a and b connected");

        // A second connection from b's address with b's key (as when both dial each other at once): a keeps one of
        // the two by the duplicate rule and closes the other in order.
        await using var second = await RawPeer.ConnectAsync(network.CreateTransport(IpB), a.EndPoint, b.Key);
        second.StartDraining();

        await Until(() => a.Manager.RecentDisconnects.Any(d => d.Reason.Contains("duplicate", StringComparison.Ordinal)),
            "a duplicate connection was closed");
        await Task.Delay(200);
        Assert.NotNull(a.PeerFor(b));
        Assert.Equal(0, Criticals(logsA));
    }

    [Fact(Skip = "Known race, open defect: about 1 run in 5 under load the peer ends with 'connection closed by the " +
        "remote' instead of reading the stopping node's Goodbye, and counts a clean shutdown as a failure. A lingering " +
        "close (waiting up to 2 s for the peer's end of stream) did not fix it; cause not found yet.")]
    public async Task Goodbye_WhitelistedPeerShutsDownCleanly_NoCriticalLineAndTheReasonSaysGoodbye()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a connected to b");

        await b.DisposeAsync();

        await Until(() => a.Manager.Peers.Count == 0, "a sees b go");
        var record = Assert.Single(a.Manager.RecentDisconnects);
        Assert.StartsWith("goodbye", record.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Criticals(logsA));
    }

    [Fact]
    public async Task ConnectionBreaks_WhitelistedPeerLost_CriticalLineLogged()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a connected to b");

        network.BreakConnections(IpB);

        await Until(() => Criticals(logsA) >= 1, "the loss of the whitelisted peer is Critical");
    }

    [Fact]
    public void Codec_Goodbye_RoundTrips()
    {
        var payload = MessageCodec.Encode(new GoodbyeMessage("node stopping"));

        var decoded = MessageCodec.Decode(MessageType.Goodbye, payload);

        Assert.True(decoded.IsSuccess);
        Assert.Equal("node stopping", Assert.IsType<GoodbyeMessage>(decoded.Message).Reason);
    }
}
