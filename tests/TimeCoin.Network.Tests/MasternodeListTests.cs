using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// A <c>Masternodes</c> list carries the last announcement each masternode signed, and masternodes re-announce only
/// every five heartbeats (5 min): list entries are judged by the listed-announcement age rule
/// (<c>HeartbeatOptions.MaxListedAnnouncementAge</c>), not by the clock skew that bounds fresh gossip (120 s),
/// which refused most of them (about 60 % in the simulation).
/// </summary>
public class MasternodeListTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.6.0.1");
    private static readonly IPAddress PeerIp = IPAddress.Parse("10.6.0.2");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    [Theory]
    [InlineData(4, true)] // re-announced less than one announcement period ago: believed
    [InlineData(8, false)] // older than the period + skew: the masternode would be offline by now
    public async Task MasternodesList_EntrySignedMinutesAgo_AcceptedOnlyWithinTheListedAge(int minutesAgo, bool accepted)
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(network.CreateTransport(PeerIp), node.EndPoint);
        peer.StartDraining();
        using var masternode = KeyPair.Generate();
        var announcement = MasternodeAnnouncement.Create(masternode, Chain.NetworkName, "10.6.0.9:24200", MasternodeTier.Gold,
            DateTimeOffset.UtcNow - TimeSpan.FromMinutes(minutesAgo));

        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");
        await node.Manager.FindPeer(peer.Key.PublicKey)!.SendAsync(new GetMasternodesMessage()); // a list is taken only when asked for
        await Until(() => peer.Received.OfType<GetMasternodesMessage>().Any(), "the node asked for the list");
        await peer.Writer.WriteAsync(new MasternodesMessage([announcement.Encode()]));
        await peer.Writer.WriteAsync(new GetMasternodesMessage()); // handled in order: once answered, the list was taken or not
        await Until(() => peer.Received.OfType<MasternodesMessage>().Any(), "the node answers with its own list");

        Assert.Equal(accepted, node.Masternodes.Find(masternode.PublicKey) is not null);
        Assert.Equal(accepted ? 1 : 0, peer.Received.OfType<MasternodesMessage>().Single().Announcements.Count);
    }
}
