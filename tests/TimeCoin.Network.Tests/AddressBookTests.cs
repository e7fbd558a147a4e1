using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The address book's cap (<see cref="ConnectionManagerOptions.MaxKnownAddresses"/>): a full book refuses gossiped
/// addresses; an address from a better source (an operator, a masternode announcement) pushes out a gossiped address not
/// in use (one that never gave a connection first, oldest first), and is refused when there is none.
/// </summary>
public class AddressBookTests
{
    private static readonly IPAddress Ip = IPAddress.Parse("10.2.0.1");

    private static IPEndPoint At(int i) => new(IPAddress.Parse($"10.7.0.{i}"), 24200);

    /// <summary>A node that dials ordinary addresses and redials fast (10 ms doubling to 40 ms), started.</summary>
    private static async Task<TestNode> StartRedialingNode(InMemoryNetwork network)
    {
        var node = new TestNode(network.CreateTransport(Ip), new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(Ip, 24200), DefaultPort = 24200, TargetOutbound = 4,
            DialInterval = TimeSpan.FromMilliseconds(20),
            Reconnect = new ReconnectBackoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(40)),
        });
        await node.StartAsync();
        return node;
    }

    /// <summary>A node whose book holds 3 addresses and that never dials gossiped ones (so none is ever in use), not started.</summary>
    private static TestNode ThreeAddressNode(FakeTimeProvider time) => new(new InMemoryNetwork().CreateTransport(Ip), new ConnectionManagerOptions
    {
        ListenEndPoint = new IPEndPoint(Ip, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
        MaxKnownAddresses = 3,
    }, time);

    private static HashSet<string> Known(TestNode node) => node.Manager.GetKnownAddresses().Select(k => $"{k.EndPoint}/{k.Source}").ToHashSet();

    [Fact]
    public async Task AddAddress_FullBook_GossipRefusedOldestGossipEvictedForBetterSourcesNoneLeftRefused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var node = ThreeAddressNode(time);
        for (int i = 1; i <= 3; i++)
        {
            node.Manager.AddPeer(At(i), persistent: false);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        node.Manager.AddPeer(At(4), persistent: false); // full: a gossiped address is refused
        Assert.Equal(["10.7.0.1:24200/Gossip", "10.7.0.2:24200/Gossip", "10.7.0.3:24200/Gossip"], Known(node));

        node.Manager.AddPeer(At(5), persistent: true); // pushes out the oldest gossiped address
        node.Manager.AddPeer(At(2), persistent: true); // a gossiped address promoted: no longer evictable
        node.Manager.AddPeer(At(6), persistent: true); // pushes out the only gossiped address left
        Assert.Equal(["10.7.0.2:24200/Persistent", "10.7.0.5:24200/Persistent", "10.7.0.6:24200/Persistent"], Known(node));

        node.Manager.AddPeer(At(7), persistent: true); // nothing gossiped left to push out: refused
        Assert.Equal(3, node.Manager.KnownAddressCount);
        Assert.DoesNotContain("10.7.0.7:24200/Persistent", Known(node));
    }

    [Fact]
    public async Task AddAddress_FullBook_GossipedAddressesThatNeverConnectedPushedOutBeforeProvedOnes()
    {
        // A stored peer that gave a connection in an earlier run comes back as a gossiped entry, and as the oldest. A
        // full book then pushed it out first for any better-sourced address (a made-up masternode's, say), and the
        // node's next save of its known peers deleted it for good.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var node = ThreeAddressNode(time);
        node.Manager.RestorePeer(At(1), time.GetUtcNow().AddDays(-1)); // proved in an earlier run, the oldest entry
        time.Advance(TimeSpan.FromSeconds(1));
        node.Manager.RestorePeer(At(2), lastConnectedAt: null);
        time.Advance(TimeSpan.FromSeconds(1));
        node.Manager.AddPeer(At(3), persistent: false);

        node.Manager.AddPeer(At(4), persistent: true);
        node.Manager.AddPeer(At(5), persistent: true);
        Assert.Equal(["10.7.0.1:24200/Gossip", "10.7.0.4:24200/Persistent", "10.7.0.5:24200/Persistent"], Known(node));

        node.Manager.AddPeer(At(6), persistent: true); // only a proved one is left to push out
        Assert.Equal(["10.7.0.4:24200/Persistent", "10.7.0.5:24200/Persistent", "10.7.0.6:24200/Persistent"], Known(node));
    }

    [Fact]
    public async Task Dial_LearnedAddressNeverAnswers_ForgottenAfterFiveDialsOperatorsEntryKept()
    {
        // An attacker can announce thousands of made-up masternodes at addresses of its choice; each stayed in the book
        // and was redialed every 30 s for as long as its registry entry lived, so a node with a free slot dialed dead
        // addresses dozens of times a second. A learned address that never answered is dropped after five dials, once
        // some peer is connected (a node that reaches nobody does not blame the addresses).
        var network = new InMemoryNetwork();
        await using var node = await StartRedialingNode(network);
        node.Manager.AddPeer(At(1), persistent: false); // learned (gossip); nothing listens there
        node.Manager.AddPeer(At(2), persistent: true); // the operator's; nothing listens there either
        Assert.Contains("10.7.0.1:24200/Gossip", Known(node));

        // No peer at all: our own link may be down, so nothing is blamed on the address.
        await Until(() => node.Manager.GetKnownAddresses().Single(k => k.EndPoint.Equals(At(1))).Failures >= 8, "the learned address redialed while the node reaches nobody");

        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.7.9.9")), node.EndPoint);
        await Until(() => !Known(node).Contains("10.7.0.1:24200/Gossip"), "the unanswered learned address forgotten once a peer is connected");
        await Until(() => node.Manager.GetKnownAddresses().Single(k => k.EndPoint.Equals(At(2))).Failures >= 8, "the operator's entry redialed on");
        Assert.Contains("10.7.0.2:24200/Persistent", Known(node));
    }

    [Fact]
    public async Task RestorePeer_StoredAddressThatConnectedBefore_KeptThoughItDoesNotAnswerNow()
    {
        // After a restart, a stored peer that gave us a connection in an earlier run may just be down for a while: it
        // is not dropped like an address that never answered.
        var network = new InMemoryNetwork();
        await using var node = await StartRedialingNode(network);
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.7.9.9")), node.EndPoint);
        node.Manager.RestorePeer(At(1), DateTimeOffset.UtcNow.AddDays(-1)); // connected in an earlier run
        node.Manager.RestorePeer(At(2), lastConnectedAt: null); // stored, never connected

        await Until(() => !Known(node).Contains("10.7.0.2:24200/Gossip"), "the stored address that never connected dropped");
        await Until(() => node.Manager.GetKnownAddresses().Single(k => k.EndPoint.Equals(At(1))).Failures >= 8, "the one that connected before redialed on");
        Assert.Contains("10.7.0.1:24200/Gossip", Known(node));
    }
}
