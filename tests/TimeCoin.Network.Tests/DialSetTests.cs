using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>A bounded, spread dial set instead of a full mesh; manual entries always dialed (issue 9, finding 5).</summary>
public class DialSetTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.7.0.1");

    private static IPAddress Ip(int i) => IPAddress.Parse($"10.7.1.{i + 1}");

    [Fact]
    public async Task Dial_TwelveKnownMasternodesAndTwoManualPeers_BoundedAutomaticSetManualAlwaysAndALostOneReplaced()
    {
        var network = new InMemoryNetwork();
        var masternodes = new List<TestNode>();
        try
        {
            for (int i = 0; i < 14; i++)
            {
                var m = new TestNode(network.CreateTransport(Ip(i)), new ConnectionManagerOptions
                {
                    ListenEndPoint = new IPEndPoint(Ip(i), 24200), DefaultPort = 24200, TargetOutbound = 0,
                });
                await m.StartAsync();
                masternodes.Add(m);
            }
            await using var node = new TestNode(network.CreateTransport(NodeIp), new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(NodeIp, 24200), DefaultPort = 24200, TargetOutbound = 0, MaxAutomaticOutbound = 4,
                PersistentPeers = [$"{Ip(12)}:24200", $"{Ip(13)}:24200"], // the operator's two: always dialed
                DialInterval = TimeSpan.FromMilliseconds(20),
                Reconnect = new ReconnectBackoff(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)),
            });
            await node.StartAsync();
            await using var relay = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.7.9.9")), node.EndPoint);
            for (int i = 0; i < 12; i++)
            {
                var announcement = MasternodeAnnouncement.Create(masternodes[i].Key, Chain.NetworkName, $"{Ip(i)}:24200", MasternodeTier.Free, DateTimeOffset.UtcNow);
                await relay.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
            }

            await Until(() => node.Manager.OutboundCount == 6, "four automatic and two manual outbound connections");
            await Task.Delay(300);
            Assert.Equal(6, node.Manager.OutboundCount); // not twelve plus two: no full mesh
            Assert.NotNull(node.PeerFor(masternodes[12]));
            Assert.NotNull(node.PeerFor(masternodes[13]));

            var lost = node.Manager.Peers.First(p => !p.IsInbound && masternodes.Take(12).Any(m => m.Key.PublicKey == p.NodeId));
            network.BreakConnections(lost.RemoteEndPoint.Address);

            await Until(() => node.Manager.OutboundCount == 6 && node.Manager.FindPeer(lost.NodeId) is null, "the lost one is replaced by another at once");
        }
        finally
        {
            foreach (var m in masternodes)
                await m.DisposeAsync();
        }
    }

    [Fact]
    public async Task Dial_GossipedAddressWithNoFreeSlotThenWhitelisted_DialedAtTheNextRound()
    {
        // A dial round that found nothing to dial skips its scan until the book or the whitelist changes or an address
        // falls due: whitelisting the address (which moves it from the full ordinary class to the automatic one) must
        // end the skip.
        var network = new InMemoryNetwork();
        await using var target = new TestNode(network.CreateTransport(Ip(0)), new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(Ip(0), 24200), DefaultPort = 24200, TargetOutbound = 0,
        });
        await target.StartAsync();
        await using var node = new TestNode(network.CreateTransport(NodeIp), new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(NodeIp, 24200), DefaultPort = 24200, TargetOutbound = 0, MaxAutomaticOutbound = 4,
            DialInterval = TimeSpan.FromMilliseconds(20),
        });
        await node.StartAsync();

        node.Manager.AddPeer(new IPEndPoint(Ip(0), 24200), persistent: false); // gossiped, ordinary: no ordinary slot
        await Task.Delay(300);
        Assert.Equal(0, node.Manager.OutboundCount);

        node.Policy.AddWhitelist(Core.Policy.IpRange.FromAddress(Ip(0)), Core.Policy.WhitelistSource.Rpc, "operator");

        await Until(() => node.Manager.OutboundCount == 1, "the now whitelisted (automatic) address is dialed");
    }

    [Fact]
    public async Task Dial_PeersLostAndSlotsRefilledByOthers_LostPeersRedialedWhenReachableAgain()
    {
        // A split in miniature: the node's two automatic peers become unreachable, their slots are refilled from the
        // node's own side, and the link comes back. The lost peers must be dialed again (they take the lost-peer
        // slots); before, a full set of slots meant they were never tried again, and the split outlived the fault.
        var network = new InMemoryNetwork();
        var masternodes = new List<TestNode>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var m = new TestNode(network.CreateTransport(Ip(i)), new ConnectionManagerOptions
                {
                    ListenEndPoint = new IPEndPoint(Ip(i), 24200), DefaultPort = 24200, TargetOutbound = 0, MaxAutomaticOutbound = 0,
                });
                await m.StartAsync();
                masternodes.Add(m);
            }
            await using var node = new TestNode(network.CreateTransport(NodeIp), new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(NodeIp, 24200), DefaultPort = 24200, TargetOutbound = 0, MaxAutomaticOutbound = 2,
                DialInterval = TimeSpan.FromMilliseconds(20), StableConnectionAfter = TimeSpan.Zero,
                Reconnect = new ReconnectBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200)),
            });
            await node.StartAsync();
            await using var relay = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.7.9.9")), node.EndPoint);
            for (int i = 0; i < 4; i++)
            {
                var announcement = MasternodeAnnouncement.Create(masternodes[i].Key, Chain.NetworkName, $"{Ip(i)}:24200", MasternodeTier.Free, DateTimeOffset.UtcNow);
                await relay.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
            }
            await Until(() => node.Manager.OutboundCount == 2, "two automatic outbound connections");
            var first = node.Manager.Peers.Where(p => !p.IsInbound).Select(p => p.RemoteEndPoint.Address).ToHashSet();

            network.SetDialFilter((_, to) => !first.Contains(to.Address)); // the other side of a split
            foreach (var ip in first)
                network.BreakConnections(ip);
            await Until(() => node.Manager.OutboundCount == 2 && node.Manager.Peers.Where(p => !p.IsInbound).All(p => !first.Contains(p.RemoteEndPoint.Address)),
                "the slots refilled from this side");
            await Task.Delay(500); // several failed redials of the lost peers

            network.SetDialFilter(null); // the split heals
            await Until(() => node.Manager.Peers.Count(p => !p.IsInbound && first.Contains(p.RemoteEndPoint.Address)) == 2,
                "both lost peers connected again");
            Assert.Equal(4, node.Manager.OutboundCount); // the bound plus the two lost-peer slots, no more
        }
        finally
        {
            foreach (var m in masternodes)
                await m.DisposeAsync();
        }
    }

    [Fact]
    public void Select_AutomaticSlotsFull_OnlyLostPeersTakeTheLostPeerSlots()
    {
        var lost = Enumerable.Range(0, 3)
            .Select(i => new DialCandidate(new IPEndPoint(IPAddress.Parse($"10.9.1.{i + 1}"), 24200), DialClass.Automatic, AddressSource.Masternode, 9, Lost: true))
            .ToList();
        var fresh = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.2.1"), 24200), DialClass.Automatic, AddressSource.Masternode, 0);

        var full = DialSetSelector.Select([.. lost, fresh], automaticInUse: 8, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 0, [1, 2, 3], lostSlots: 2);
        var oneLeft = DialSetSelector.Select([.. lost, fresh], automaticInUse: 9, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 0, [1, 2, 3], lostSlots: 2);
        var freeSlot = DialSetSelector.Select([.. lost, fresh], automaticInUse: 7, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 0, [1, 2, 3], lostSlots: 2);

        Assert.Equal(2, full.Count);
        Assert.All(full, c => Assert.True(c.Lost));
        Assert.Single(oneLeft);
        Assert.True(oneLeft[0].Lost);
        Assert.Equal(3, freeSlot.Count); // the free slot goes to the fresh one (fewest failures), then two lost-peer slots
        Assert.Contains(fresh, freeSlot);
    }

    [Fact]
    public void Select_LostPeerDemotedToOrdinary_StillTakesALostPeerSlotAndOnlyOnce()
    {
        // A masternode removed from the registry during a long split is demoted to a gossiped (ordinary) address; it
        // is still a peer we lost, so it keeps its claim on the lost-peer slots, and is not chosen twice.
        var demoted = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.3.1"), 24200), DialClass.Ordinary, AddressSource.Gossip, 40, Lost: true);
        var ordinary = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.3.2"), 24200), DialClass.Ordinary, AddressSource.Gossip, 0);

        var ordinaryFull = DialSetSelector.Select([demoted, ordinary], automaticInUse: 8, ordinaryInUse: 8, maxAutomatic: 8, targetOrdinary: 8, [1, 2, 3], lostSlots: 2);
        var ordinaryFree = DialSetSelector.Select([demoted, ordinary], automaticInUse: 8, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 8, [1, 2, 3], lostSlots: 2);

        Assert.Equal([demoted], ordinaryFull);
        Assert.Equal(2, ordinaryFree.Count);
        Assert.Contains(ordinary, ordinaryFree);
        Assert.Empty(DialSetSelector.Select([demoted], automaticInUse: 10, ordinaryInUse: 8, maxAutomatic: 8, targetOrdinary: 8, [1, 2, 3], lostSlots: 2));
    }

    [Fact]
    public void Select_PeerJustLostAndAFreshCandidate_TheLostPeerGetsTheFreeSlotBack()
    {
        // A peer that went away once (a restart) gets its slot back before a never-tried candidate takes it, so normal
        // churn does not grow every node's automatic set to the bound plus the lost-peer slots.
        var justLost = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.4.1"), 24200), DialClass.Automatic, AddressSource.Masternode, 1, Lost: true);
        var fresh = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.4.2"), 24200), DialClass.Automatic, AddressSource.Masternode, 0);

        var chosen = DialSetSelector.Select([fresh, justLost], automaticInUse: 7, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 0, [1, 2, 3], lostSlots: 0);

        Assert.Equal([justLost], chosen);
    }

    [Fact]
    public void Select_ManyLostPeersOneLostPeerSlot_TheOneWaitingLongestFirstWhateverItsRank()
    {
        // Lost peers that stay dead must not keep one that came back waiting: the slot rotates by waiting time.
        var t0 = DateTimeOffset.UnixEpoch.AddDays(20_000);
        var lost = Enumerable.Range(0, 6)
            .Select(i => new DialCandidate(new IPEndPoint(IPAddress.Parse($"10.9.5.{i + 1}"), 24200), DialClass.Automatic, AddressSource.Masternode, 50, Lost: true, DueSince: t0.AddSeconds(10 - i)))
            .ToList();

        var chosen = DialSetSelector.Select(lost, automaticInUse: 8, ordinaryInUse: 0, maxAutomatic: 8, targetOrdinary: 0, [1, 2, 3], lostSlots: 1);

        Assert.Equal([lost[5]], chosen); // due at t0 + 5 s, before the others
    }

    [Fact]
    public void Select_TwoNodesSameCandidates_PickDifferentSubsetsOfTheBound()
    {
        var candidates = Enumerable.Range(0, 100)
            .Select(i => new DialCandidate(new IPEndPoint(IPAddress.Parse($"10.8.{i / 250}.{i % 250 + 1}"), 24200), DialClass.Automatic, AddressSource.Masternode, 0))
            .ToList();
        using var a = KeyPair.Generate();
        using var b = KeyPair.Generate();

        var byA = DialSetSelector.Select(candidates, 0, 0, 8, 0, a.PublicKey.Bytes).Select(c => c.EndPoint).ToHashSet();
        var byB = DialSetSelector.Select(candidates, 0, 0, 8, 0, b.PublicKey.Bytes).Select(c => c.EndPoint).ToHashSet();

        Assert.Equal(8, byA.Count);
        Assert.Equal(8, byB.Count);
        Assert.True(byA.Intersect(byB).Count() < 8, "two nodes chose the same eight of a hundred");
        Assert.Equal(byA, DialSetSelector.Select(candidates, 0, 0, 8, 0, a.PublicKey.Bytes).Select(c => c.EndPoint).ToHashSet()); // stable
    }

    [Fact]
    public void Select_ManualEntries_AlwaysChosenWhateverTheBounds()
    {
        var manual = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.0.1"), 24200), DialClass.Manual, AddressSource.Persistent, 7);
        var automatic = new DialCandidate(new IPEndPoint(IPAddress.Parse("10.9.0.2"), 24200), DialClass.Automatic, AddressSource.Masternode, 0);

        var chosen = DialSetSelector.Select([manual, automatic], automaticInUse: 8, ordinaryInUse: 8, maxAutomatic: 8, targetOrdinary: 8, [1, 2, 3]);

        Assert.Equal([manual], chosen);
    }
}
