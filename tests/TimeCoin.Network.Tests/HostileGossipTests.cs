using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// Review (session 9, hostile peer): what a hostile peer could do with masternode lists and gossip. Taken from the
/// reviewer's HostilePeerReviewTests (branch rev-net); each failed on main.
/// </summary>
public class HostileGossipTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.0.1");
    private static readonly IPAddress AttackerIp = IPAddress.Parse("10.9.0.66");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    private static List<ReadOnlyMemory<byte>> MadeUpAnnouncements(int count, DateTimeOffset at)
    {
        var items = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i < count; i++)
        {
            using var key = KeyPair.Generate();
            items.Add(MasternodeAnnouncement.Create(key, Chain.NetworkName, $"10.9.{1 + i / 250}.{1 + i % 250}:24200", MasternodeTier.Free, at).Encode());
        }
        return items;
    }

    /// <summary>The node asks <paramref name="attacker"/> for its masternode list; returns once the request arrived.</summary>
    private static async Task AskForListAsync(TestNode node, RawPeer attacker)
    {
        await node.Manager.FindPeer(attacker.Key.PublicKey)!.SendAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<GetMasternodesMessage>().Any(), "the node asked for the list");
    }

    /// <summary>
    /// A <c>Masternodes</c> list was taken item by item without the <c>MasternodeAnnouncement</c> rate limit (50/s, burst
    /// 1,000) that a <c>MasternodeGossip</c> batch or single announcements pay, and without our having asked for it:
    /// one message of 2,000 items, 20 messages a second, was 40,000 Ed25519 verifications a second per connection.
    /// </summary>
    [Fact]
    public async Task MasternodesList_UnsolicitedAboveTheAnnouncementBurst_ItemsStillMetered()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: no token refills during the test
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");

        await attacker.Writer.WriteAsync(new MasternodesMessage(MadeUpAnnouncements(1500, time.GetUtcNow()))); // never asked for
        await attacker.Writer.WriteAsync(new GetMasternodesMessage()); // handled in order: once answered, the list was taken
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node answers with its own list");

        Assert.True(node.Masternodes.Count <= 1000, $"{node.Masternodes.Count} announcements verified and taken from one message");
    }

    /// <summary>An unsolicited list is not looked at: dropped whole and scored as unrequested data.</summary>
    [Fact]
    public async Task MasternodesList_Unsolicited_DroppedAndScored()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");

        await attacker.Writer.WriteAsync(new MasternodesMessage(MadeUpAnnouncements(3, time.GetUtcNow())));
        await attacker.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node answers with its own list");

        Assert.Equal(0, node.Masternodes.Count);
        Assert.True(node.Policy.GetViolationScore(AttackerIp) > 0, "an unsolicited list is scored");
    }

    /// <summary>
    /// A list we asked for is taken, but its items are metered as gossip items are (one <c>MasternodeAnnouncement</c>
    /// token each): the reply to one request is not 2,000 verifications past the burst. The excess is dropped, not
    /// scored (the peer answered what we asked).
    /// </summary>
    [Fact]
    public async Task MasternodesList_AskedForAboveTheAnnouncementBurst_ItemsMeteredNotScored()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: no token refills during the test
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");
        await AskForListAsync(node, attacker);

        await attacker.Writer.WriteAsync(new MasternodesMessage(MadeUpAnnouncements(1500, time.GetUtcNow())));
        await attacker.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node answers with its own list");

        Assert.InRange(node.Masternodes.Count, 1, 1000);
        Assert.Equal(0, node.Policy.GetViolationScore(AttackerIp));
    }

    /// <summary>
    /// A <c>Masternodes</c> list was handled to its last item even after its sender was banned and closed (a gossip
    /// batch stops at <c>peer.IsClosed</c>; the list loop had no such check): every forged entry was verified and scored
    /// again, up to 2,000 Ed25519 verifications and severe violations for one message. (The reviewer's test sent the
    /// list unasked; lists are now taken only in answer to our request, so here the node asks first.)
    /// </summary>
    [Fact]
    public async Task MasternodesList_ForgedEntries_HandlingStopsOnceTheSenderIsBanned()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");
        await AskForListAsync(node, attacker);

        var forged = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i < 50; i++)
        {
            using var key = KeyPair.Generate();
            var bytes = MasternodeAnnouncement.Create(key, Chain.NetworkName, $"10.9.3.{i + 1}:24200", MasternodeTier.Free, time.GetUtcNow()).Encode();
            bytes[^1] ^= 0xFF; // the signature no longer verifies
            forged.Add(bytes);
        }
        await attacker.Writer.WriteAsync(new MasternodesMessage(forged));
        await Until(() => node.Policy.IsBanned(AttackerIp), "the forger is banned");
        await Until(() => node.Manager.Peers.Count == 0, "the forger is disconnected");

        Assert.True(node.Policy.GetViolationScore(AttackerIp) <= node.Policy.Options.PermanentBanThreshold,
            $"score {node.Policy.GetViolationScore(AttackerIp)}: every forged entry was verified and scored after the ban");
    }

    /// <summary>
    /// A made-up masternode's signed announcement may name any ip:port, and it became an automatic dial candidate:
    /// loopback, 0.0.0.0 (the local host on Linux) and the node's other local services included.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1:22")]
    [InlineData("0.0.0.0:6379")]
    [InlineData("224.0.0.1:24200")]
    public async Task MasternodeAnnouncement_LocalAddress_NotADialCandidate(string address)
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");
        using var madeUp = KeyPair.Generate();

        var announcement = MasternodeAnnouncement.Create(madeUp, Chain.NetworkName, address, MasternodeTier.Free, time.GetUtcNow());
        await attacker.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
        await attacker.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node read the announcement");

        Assert.DoesNotContain(node.Manager.GetKnownAddresses(), k => k.EndPoint.ToString() == address);
    }

    /// <summary>A node that itself listens on loopback (a devnet on one machine) still dials masternodes there.</summary>
    [Fact]
    public async Task MasternodeAnnouncement_LoopbackAddress_ADialCandidateWhenWeListenOnLoopback()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options() with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 24200) };
        await using var node = new TestNode(network.CreateTransport(IPAddress.Loopback), options, time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("127.0.0.2")), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the peer is connected");
        using var masternode = KeyPair.Generate();

        var announcement = MasternodeAnnouncement.Create(masternode, Chain.NetworkName, "127.0.0.3:24200", MasternodeTier.Free, time.GetUtcNow());
        await attacker.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
        await attacker.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node read the announcement");

        Assert.Contains(node.Manager.GetKnownAddresses(), k => k.EndPoint.ToString() == "127.0.0.3:24200");
    }

    /// <summary>
    /// A copy was recognised by its last 64 bytes alone, so 512-byte junk ending in a fresh item's signature was taken
    /// for a copy: never decoded, never scored.
    /// </summary>
    [Fact]
    public async Task GossipBatch_JunkEndingInAnAcceptedItemsSignature_NotTakenForACopy()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        await using var attacker = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        attacker.StartDraining();
        await Until(() => node.Manager.Peers.Count == 1, "the attacker is connected");
        using var masternode = KeyPair.Generate();
        var announcement = MasternodeAnnouncement.Create(masternode, Chain.NetworkName, "10.9.1.200:24200", MasternodeTier.Free, time.GetUtcNow());
        await attacker.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
        await Until(() => node.Masternodes.Find(masternode.PublicKey) is not null, "the masternode is known");

        var heartbeat = Heartbeat.Create(masternode, Chain.NetworkName, "10.9.1.200:24200", 1, time.GetUtcNow(), 3).Encode();
        var junk = new byte[ProtocolLimits.MaxGossipItemBytes];
        junk[0] = Heartbeat.WireVersion;
        heartbeat.AsSpan(heartbeat.Length - PublicKey.SignatureSize).CopyTo(junk.AsSpan(junk.Length - PublicKey.SignatureSize));
        await attacker.Writer.WriteAsync(new MasternodeGossipMessage([], [heartbeat, junk]));
        await attacker.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => attacker.Received.OfType<MasternodesMessage>().Any(), "the node read the batch");

        Assert.Equal(1UL, node.Masternodes.Find(masternode.PublicKey)!.LastSequence);
        Assert.True(node.Policy.GetViolationScore(AttackerIp) > 0, "the junk item passed as a copy of the heartbeat");
    }

    /// <summary>
    /// A masternode proved at its address gets a whitelist entry; a newer signed announcement elsewhere drops it and one
    /// back at the proved address adds it again. A peer that runs one made-up masternode flipped its address at the
    /// announcement rate: every flip a whitelist change, an audit record, and on a node a row and a policy snapshot.
    /// </summary>
    [Fact]
    public async Task MasternodeAddressFlapping_ByOnePeer_WhitelistChangesStayBounded()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options() with { AutoWhitelistMasternodes = true }, time);
        await node.StartAsync();
        using var masternode = KeyPair.Generate();
        await using var proof = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint, key: masternode);
        proof.StartDraining();
        await using var sender = await RawPeer.ConnectAsync(network.CreateTransport(AttackerIp), node.EndPoint);
        sender.StartDraining();
        await Until(() => node.Manager.Peers.Count == 2, "both connections are up");

        var start = time.GetUtcNow();
        for (int i = 0; i < 40; i++)
        {
            string address = i % 2 == 0 ? $"{AttackerIp}:24200" : "198.51.100.7:24200";
            var announcement = MasternodeAnnouncement.Create(masternode, Chain.NetworkName, address, MasternodeTier.Free, start + TimeSpan.FromMilliseconds(i + 1));
            await sender.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement.Encode()));
        }
        await sender.Writer.WriteAsync(new GetMasternodesMessage());
        await Until(() => sender.Received.OfType<MasternodesMessage>().Any(), "the node read every announcement");

        int changes = node.Policy.RecentAudit().Count(r => r.Source == AuditSource.Masternode);
        Assert.True(changes <= 4, $"{changes} masternode whitelist changes (audit records) caused by one peer in one instant");
    }
}

/// <summary>The gossip test that measures the process's heap (in a collection of its own: run alone).</summary>
[Collection(HeapMeasureCollection.Name)]
public class HostileGossipHeapTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.0.1");

    private static ConnectionManagerOptions Options() => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
    };

    /// <summary>
    /// Gossip items were kept as slices of the frame they came in, so one accepted 219-byte heartbeat kept its whole
    /// frame alive in the relay queue until the next flush, and then in the peers' send queues. Here each frame is one
    /// fresh heartbeat followed by 1,999 copies of it, with 999 copies of the masternode's announcement (copies cost the
    /// sender nothing and are not violations: one token each, within the bursts). The measure is the process's heap, so
    /// the test runs alone (<see cref="HeapMeasureCollection"/>).
    /// (The reviewer's frames were 512-byte junk ending in the heartbeat's signature; junk is now decoded and scored,
    /// see HostileGossipTests.GossipBatch_JunkEndingInAnAcceptedItemsSignature_NotTakenForACopy: it bans the sender.)
    /// </summary>
    [Fact]
    public async Task GossipBatch_OneFreshHeartbeatInABigFrame_DoesNotPinTheFrame()
    {
        var network = new InMemoryNetwork();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // frozen: no flush runs, the queue keeps what it took
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options(), time);
        await node.StartAsync();
        using var masternode = KeyPair.Generate();
        var peers = new List<RawPeer>();
        try
        {
            for (int i = 0; i < 30; i++)
            {
                var peer = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse($"10.9.1.{1 + i / 3}")), node.EndPoint);
                peer.StartDraining();
                peers.Add(peer);
            }
            await Until(() => node.Manager.Peers.Count == 30, "every peer is connected");
            var announcement = MasternodeAnnouncement.Create(masternode, Chain.NetworkName, "10.9.1.200:24200", MasternodeTier.Free, time.GetUtcNow()).Encode();
            await peers[0].Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement));
            await Until(() => node.Masternodes.Find(masternode.PublicKey) is not null, "the masternode is known");
            var announcements = Enumerable.Repeat((ReadOnlyMemory<byte>)announcement, ProtocolLimits.MaxGossipAnnouncementsPerBatch - 1).ToArray();
            long before = GC.GetTotalMemory(forceFullCollection: true);

            for (int i = 0; i < 30; i++)
            {
                var heartbeat = Heartbeat.Create(masternode, Chain.NetworkName, "10.9.1.200:24200", (ulong)(i + 1), time.GetUtcNow(), 3).Encode();
                var items = new ReadOnlyMemory<byte>[ProtocolLimits.MaxGossipHeartbeatsPerBatch];
                for (int j = 0; j < items.Length; j++)
                    items[j] = heartbeat;
                // Written in 16 KiB pieces: no large buffer on the sending side (or in a pool) to blur the measure.
                var frame = FrameFormat.ToArray(NetworkMagic.For(Chain), MessageType.MasternodeGossip, MessageCodec.Encode(new MasternodeGossipMessage(announcements, items)));
                for (int offset = 0; offset < frame.Length; offset += 16 * 1024)
                    await peers[i].Connection.Output.WriteAsync(frame.AsMemory(offset, Math.Min(16 * 1024, frame.Length - offset)));
                ulong sequence = (ulong)(i + 1); // one at a time: sequences must arrive in order to be accepted
                await Until(() => node.Masternodes.Find(masternode.PublicKey)?.LastSequence == sequence, "the frame is handled");
            }
            await Until(() => node.Masternodes.Find(masternode.PublicKey)?.LastSequence == 30, "every frame is handled");
            long after = GC.GetTotalMemory(forceFullCollection: true);

            Assert.Equal(0, node.Policy.GetViolationScore(IPAddress.Parse("10.9.1.1")));
            Assert.True(after - before < 8 * 1024 * 1024, $"{(after - before) / (1024 * 1024)} MiB kept alive by 30 accepted heartbeats of 219 bytes");
        }
        finally
        {
            foreach (var peer in peers)
                await peer.DisposeAsync();
        }
    }
}

/// <summary>Tests that measure the process's heap: run with no other test at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasureCollection
{
    public const string Name = "heap measure";
}
