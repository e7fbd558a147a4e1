using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Masternode whitelist entries rest on proof at the address and follow the masternode (issue 9, findings 3 and 4).</summary>
public class MasternodeWhitelistTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.6.0.1");
    private static readonly IPAddress RelayIp = IPAddress.Parse("10.6.0.2");
    private static readonly IPAddress FirstIp = IPAddress.Parse("10.6.0.10");
    private static readonly IPAddress SecondIp = IPAddress.Parse("10.6.0.11");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
        AutoWhitelistMasternodes = true,
    };

    private static bool Whitelisted(TestNode node, IPAddress ip) =>
        node.Policy.ListWhitelist().Any(e => e.Source == WhitelistSource.Masternode && e.Range.Contains(ip));

    private static byte[] Announce(KeyPair key, IPAddress ip, DateTimeOffset at) =>
        MasternodeAnnouncement.Create(key, Chain.NetworkName, $"{ip}:24200", MasternodeTier.Free, at).Encode();

    [Fact]
    public async Task RelayedAnnouncement_MadeUpMasternodesAtArbitraryIps_NoneWhitelisted()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var relay = await RawPeer.ConnectAsync(network.CreateTransport(RelayIp), node.EndPoint);
        var keys = Enumerable.Range(0, 20).Select(_ => KeyPair.Generate()).ToList();

        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
            await relay.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announce(key, IPAddress.Parse($"198.51.100.{i + 1}"), DateTimeOffset.UtcNow)));

        await Until(() => node.Masternodes.Count == 20, "all twenty announcements accepted (their signatures are genuine)");
        Assert.DoesNotContain(node.Policy.ListWhitelist(), e => e.Source == WhitelistSource.Masternode);
        foreach (var key in keys)
            key.Dispose();
    }

    [Fact]
    public async Task Announcement_MasternodeConnectedFromItsAddress_WhitelistedByProof()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        using var key = KeyPair.Generate();
        await using var relay = await RawPeer.ConnectAsync(network.CreateTransport(RelayIp), node.EndPoint);
        await relay.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announce(key, FirstIp, DateTimeOffset.UtcNow)));
        await Until(() => node.Masternodes.Find(key.PublicKey) is not null, "the announcement is accepted");
        Assert.False(Whitelisted(node, FirstIp));

        await using var masternode = await RawPeer.ConnectAsync(network.CreateTransport(FirstIp), node.EndPoint, key);

        await Until(() => Whitelisted(node, FirstIp), "a handshake from the announced address with the announced key proves it");
    }

    [Fact]
    public async Task AddressChanged_MasternodeMoves_OldEntryGoesAndNewOneFollowsOnProof()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        using var key = KeyPair.Generate();
        var first = await RawPeer.ConnectAsync(network.CreateTransport(FirstIp), node.EndPoint, key);
        await first.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announce(key, FirstIp, DateTimeOffset.UtcNow.AddSeconds(-10))));
        await Until(() => Whitelisted(node, FirstIp), "whitelisted at its first address");
        await first.DisposeAsync();
        await Until(() => node.Manager.Peers.Count == 0, "it left the first address");

        // Its newer announcement arrives through a relay: it now lives at the second address.
        await using var relay = await RawPeer.ConnectAsync(network.CreateTransport(RelayIp), node.EndPoint);
        await relay.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announce(key, SecondIp, DateTimeOffset.UtcNow)));
        await Until(() => node.Masternodes.Find(key.PublicKey)?.Address == $"{SecondIp}:24200", "the move is accepted");
        await Until(() => !Whitelisted(node, FirstIp), "the old address loses its entry");
        Assert.False(Whitelisted(node, SecondIp)); // not proved there yet

        await using var second = await RawPeer.ConnectAsync(network.CreateTransport(SecondIp), node.EndPoint, key);

        await Until(() => Whitelisted(node, SecondIp), "the entry follows to the new address once proved there");
        Assert.False(Whitelisted(node, FirstIp));
    }
}
