using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The dialer sleeps until a dial falls due or an event makes one possible, not on a fixed tick: with its safety cap
/// (<see cref="ConnectionManagerOptions.DialInterval"/>) set to an hour, retries still go out at their backoff times and
/// a newly learned address is dialed at once.
/// </summary>
public class DialWakeTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.3.0.1");
    private static readonly IPAddress PeerIp = IPAddress.Parse("10.3.0.2");
    private static readonly IPEndPoint Nowhere = new(IPAddress.Parse("10.3.0.9"), 24200);

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        DialInterval = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task DialLoop_AddressKeepsFailing_RetriedAtEachBackoffDueTimeWithoutATick()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var start = time.GetUtcNow();
        var network = new InMemoryNetwork();
        var attempts = new ConcurrentQueue<double>();
        network.SetDialFilter((_, remote) =>
        {
            if (remote.Equals(Nowhere))
                attempts.Enqueue((time.GetUtcNow() - start).TotalSeconds);
            return true; // nothing listens there: refused
        });
        // A bootstrap peer: an ordinary address that is never dropped (a learned one is, after 5 dials that never connected).
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options() with { BootstrapPeers = [Nowhere.ToString()] }, time);
        await node.StartAsync();

        await Until(() => attempts.Count == 1, "the bootstrap address is dialed at once");

        // Ordinary backoff: 1, 2, 4, 8, 16 s (each +-20 %) after each failure. The clock moves in 10 ms steps; each
        // retry must come when it falls due, although the dialer's only timer tick is an hour away.
        while (attempts.Count < 6 && time.GetUtcNow() - start < TimeSpan.FromMinutes(5))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1); // lets the dial round that a due time woke run before the clock moves on
        }
        var at = attempts.ToArray();
        Assert.True(at.Length >= 6, $"retries at {string.Join(", ", at)}");
        for (int i = 1; i < 6; i++)
        {
            double gap = at[i] - at[i - 1];
            double backoff = Math.Pow(2, i - 1);
            // Never early. Late by at most 3 s: the dial round runs on the thread pool while this loop moves the clock
            // on every millisecond or so of real time, so a round that waits for a thread some 100 ms on a busy machine
            // (CI runs the test projects side by side on two cores) is seen seconds late; still far from the hour tick.
            Assert.InRange(gap, 0.8 * backoff - 0.011, 1.2 * backoff + 3);
        }
    }

    [Fact]
    public async Task DialLoop_AddressLearnedFromAPeersMessage_DialedAtOnce()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var network = new InMemoryNetwork();
        var dialed = new ConcurrentQueue<IPEndPoint>();
        network.SetDialFilter((_, remote) =>
        {
            dialed.Enqueue(remote);
            return true;
        });
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint, time: time);
        Assert.True(peer.Handshake!.IsSuccess);
        await Until(() => node.Manager.Peers.Count == 1, "the peer is registered");
        peer.StartDraining();
        await Task.Delay(50); // the dialer has had its round since the connection (it found nothing to dial)

        await peer.Writer.WriteAsync(new PeersMessage([Nowhere]));

        // The clock does not move: only the learned address can wake the dialer (its cap is an hour).
        await Until(() => dialed.Contains(Nowhere), "the gossiped address is dialed");
    }
}
