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
/// Masternode gossip is trickled (issue 8): what a node accepts waits for the next flush of its own jittered timer and
/// leaves as one <see cref="MasternodeGossipMessage"/> per peer; a peer that sent an item is not sent it; batch items
/// are rate-limited, verified and scored one by one. Virtual time: nothing moves until the test advances the clock.
/// </summary>
public sealed class GossipTrickleTests : IAsyncDisposable
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.7.0.1");
    private static readonly IPAddress SenderIp = IPAddress.Parse("10.7.0.2");

    /// <summary>Longer than the longest trickle wait (1.5 × the default 5 s interval).</summary>
    private static readonly TimeSpan OneFlush = TimeSpan.FromSeconds(7.6);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly InMemoryNetwork _network = new();
    private readonly List<RawPeer> _peers = [];
    private readonly List<KeyPair> _masternodes = [];
    private TestNode? _node;

    private TestNode Node => _node!;

    private async Task StartNodeAsync(int fanOut = 8, PeerPolicyOptions? policy = null, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        var options = new ConnectionManagerOptions
        {
            MaxPayloadLength = maxPayloadLength,
            ListenEndPoint = new IPEndPoint(NodeIp, 24200),
            DefaultPort = 24200,
            TargetOutbound = 0,
            MaxAutomaticOutbound = 0,
            RelayFanOut = fanOut,
        };
        _node = new TestNode(_network.CreateTransport(NodeIp), options, _time, policy ?? new PeerPolicyOptions { MaxInboundPerIp = 20 });
        await _node.StartAsync();
    }

    private async Task<RawPeer> ConnectAsync(IPAddress ip, uint version = LocalNodeInfo.CurrentProtocolVersion)
    {
        var key = KeyPair.Generate();
        var peer = await RawPeer.ConnectAsync(_network.CreateTransport(ip), Node.EndPoint, key, InfoFor(key, version: version), _time);
        Assert.True(peer.Handshake!.IsSuccess, peer.Handshake.Detail);
        peer.StartDraining();
        _peers.Add(peer);
        await Until(() => Node.Manager.FindPeer(key.PublicKey) is not null, "the node registered the peer");
        return peer;
    }

    private KeyPair NewMasternode()
    {
        var key = KeyPair.Generate();
        _masternodes.Add(key);
        return key;
    }

    private byte[] Announcement(KeyPair key) =>
        MasternodeAnnouncement.Create(key, Chain.NetworkName, "10.7.9.9:24200", MasternodeTier.Free, _time.GetUtcNow()).Encode();

    private byte[] HeartbeatOf(KeyPair key, ulong sequence = 1) =>
        Heartbeat.Create(key, Chain.NetworkName, "10.7.9.9:24200", sequence, _time.GetUtcNow(), 3).Encode();

    /// <summary>
    /// Sends GetPeers and waits for the answer. The node handles a connection's messages in order and answers into the
    /// same send queue as its gossip, so once the answer is here, everything sent before it was handled, and every frame
    /// the node queued to this peer before answering has arrived.
    /// </summary>
    private static async Task MarkerAsync(RawPeer peer)
    {
        int before = peer.Received.OfType<PeersMessage>().Count();
        await peer.Writer.WriteAsync(new GetPeersMessage());
        await Until(() => peer.Received.OfType<PeersMessage>().Count() > before, "the marker is answered");
    }

    private static int GossipItemsReceived(RawPeer peer) =>
        peer.Received.OfType<MasternodeGossipMessage>().Sum(b => b.Count)
        + peer.Received.Count(m => m is HeartbeatMessage or MasternodeAnnouncementMessage);

    [Fact]
    public async Task Trickle_FiveHeartbeatsInOneWindow_OneFramePerPeerCarryingAll()
    {
        await StartNodeAsync();
        var sender = await ConnectAsync(SenderIp);
        var listeners = new List<RawPeer>();
        for (int i = 0; i < 4; i++)
            listeners.Add(await ConnectAsync(IPAddress.Parse($"10.7.1.{i + 1}")));
        var keys = Enumerable.Range(0, 5).Select(_ => NewMasternode()).ToList();

        foreach (var key in keys)
            await sender.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announcement(key)));
        foreach (var key in keys)
            await sender.Writer.WriteAsync(new HeartbeatMessage(HeartbeatOf(key)));
        await MarkerAsync(sender);
        Assert.All(keys, k => Assert.NotNull(Node.Masternodes.Find(k.PublicKey)?.LastHeartbeat));
        foreach (var listener in listeners)
            await MarkerAsync(listener);
        Assert.All(listeners, l => Assert.Equal(0, GossipItemsReceived(l))); // nothing before the flush

        _time.Advance(OneFlush);
        await Until(() => listeners.All(l => l.Received.OfType<MasternodeGossipMessage>().Any()), "every listener got a batch");
        _time.Advance(OneFlush); // a second flush has nothing to send
        foreach (var peer in listeners.Append(sender))
            await MarkerAsync(peer);

        foreach (var listener in listeners)
        {
            var batch = Assert.Single(listener.Received.OfType<MasternodeGossipMessage>());
            Assert.Equal(5, batch.Announcements.Count);
            Assert.Equal(5, batch.Heartbeats.Count);
            Assert.Empty(listener.Received.OfType<HeartbeatMessage>());
            Assert.Empty(listener.Received.OfType<MasternodeAnnouncementMessage>());
        }
        Assert.Equal(0, GossipItemsReceived(sender)); // every item came from it
    }

    [Fact]
    public async Task Trickle_ItemSentByTwoPeersBeforeTheFlush_SentToNeitherOnlyToTheThird()
    {
        await StartNodeAsync();
        var first = await ConnectAsync(SenderIp);
        var second = await ConnectAsync(IPAddress.Parse("10.7.0.3"));
        var third = await ConnectAsync(IPAddress.Parse("10.7.0.4"));
        var key = NewMasternode();
        var announcement = Announcement(key);
        var heartbeat = HeartbeatOf(key);

        await first.Writer.WriteAsync(new MasternodeAnnouncementMessage(announcement));
        await first.Writer.WriteAsync(new HeartbeatMessage(heartbeat));
        await MarkerAsync(first);
        await second.Writer.WriteAsync(new MasternodeGossipMessage([announcement], [heartbeat]));
        await MarkerAsync(second);

        _time.Advance(OneFlush);
        await Until(() => third.Received.OfType<MasternodeGossipMessage>().Any(), "the third peer got the batch");
        foreach (var peer in new[] { first, second, third })
            await MarkerAsync(peer);

        var batch = Assert.Single(third.Received.OfType<MasternodeGossipMessage>());
        Assert.Equal(announcement, batch.Announcements.Single().ToArray());
        Assert.Equal(heartbeat, batch.Heartbeats.Single().ToArray());
        Assert.Equal(0, GossipItemsReceived(first));
        Assert.Equal(0, GossipItemsReceived(second));
    }

    /// <summary>
    /// A batch is split by its encoded size too, not only by item count: with a small frame maximum, the 20 items of one
    /// flush (about 4.3 KB encoded) left as one frame the node's own frame writer refused, and the peer got nothing.
    /// </summary>
    [Fact]
    public async Task Trickle_BatchLargerThanTheMaxPayload_SplitIntoFramesThatEachFitAndCarryEverything()
    {
        const int maxPayload = 1024;
        await StartNodeAsync(maxPayloadLength: maxPayload);
        var sender = await ConnectAsync(SenderIp);
        var listener = await ConnectAsync(IPAddress.Parse("10.7.1.1"));
        var keys = Enumerable.Range(0, 10).Select(_ => NewMasternode()).ToList();
        foreach (var key in keys)
            await sender.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announcement(key)));
        foreach (var key in keys)
            await sender.Writer.WriteAsync(new HeartbeatMessage(HeartbeatOf(key)));
        await MarkerAsync(sender);

        _time.Advance(OneFlush);
        await Until(() => GossipItemsReceived(listener) >= 20, "the listener got every item");
        await MarkerAsync(listener);

        var frames = listener.Received.OfType<MasternodeGossipMessage>().ToList();
        Assert.Equal(20, frames.Sum(f => f.Count));
        Assert.All(frames, f => Assert.InRange(MessageCodec.Encode(f).Length, 1, maxPayload));
        // Every announcement leaves before any heartbeat, so no heartbeat arrives ahead of its masternode's announcement.
        var order = frames.SelectMany(f => f.Announcements.Select(_ => 'a').Concat(f.Heartbeats.Select(_ => 'h'))).ToArray();
        Assert.Equal(new string('a', 10) + new string('h', 10), new string(order));
    }

    [Fact]
    public async Task Trickle_RelayedItems_AtMostTheFanOutPeersGetABatch()
    {
        await StartNodeAsync(fanOut: 3);
        var sender = await ConnectAsync(SenderIp);
        var listeners = new List<RawPeer>();
        for (int i = 0; i < 10; i++)
            listeners.Add(await ConnectAsync(IPAddress.Parse($"10.7.1.{i + 1}")));
        var key = NewMasternode();

        await sender.Writer.WriteAsync(new MasternodeAnnouncementMessage(Announcement(key)));
        await MarkerAsync(sender);
        _time.Advance(OneFlush);
        await Until(() => listeners.Count(l => l.Received.OfType<MasternodeGossipMessage>().Any()) >= 3, "three listeners got the batch");
        foreach (var listener in listeners)
            await MarkerAsync(listener);

        Assert.Equal(3, listeners.Count(l => GossipItemsReceived(l) > 0));
    }

    [Fact]
    public async Task Broadcast_OwnHeartbeat_GoesAtTheNextFlushToEveryPeerNotOnlyTheFanOut()
    {
        await StartNodeAsync(fanOut: 1);
        var listeners = new List<RawPeer>();
        for (int i = 0; i < 3; i++)
            listeners.Add(await ConnectAsync(IPAddress.Parse($"10.7.1.{i + 1}")));
        var own = Heartbeat.Create(Node.Key, Chain.NetworkName, "10.7.0.1:24200", 1, _time.GetUtcNow(), 3).Encode();

        Assert.Equal(3, Node.Manager.Broadcast(new HeartbeatMessage(own)));
        foreach (var listener in listeners)
            await MarkerAsync(listener);
        Assert.All(listeners, l => Assert.Equal(0, GossipItemsReceived(l))); // not at once

        _time.Advance(OneFlush);
        await Until(() => listeners.All(l => l.Received.OfType<MasternodeGossipMessage>().Any()), "every peer got our heartbeat");

        Assert.All(listeners, l => Assert.Equal(own, Assert.Single(l.Received.OfType<MasternodeGossipMessage>()).Heartbeats.Single().ToArray()));
    }

    [Fact]
    public async Task Trickle_PeerOfProtocolVersionOne_GetsTheSingleMessagesNotABatch()
    {
        await StartNodeAsync();
        var sender = await ConnectAsync(SenderIp);
        var old = await ConnectAsync(IPAddress.Parse("10.7.1.1"), version: 1);
        var current = await ConnectAsync(IPAddress.Parse("10.7.1.2"));
        var keys = Enumerable.Range(0, 3).Select(_ => NewMasternode()).ToList();

        await sender.Writer.WriteAsync(new MasternodeGossipMessage(keys.Select(k => (ReadOnlyMemory<byte>)Announcement(k)).ToArray(),
            keys.Select(k => (ReadOnlyMemory<byte>)HeartbeatOf(k)).ToArray()));
        await MarkerAsync(sender);
        _time.Advance(OneFlush);
        await Until(() => current.Received.OfType<MasternodeGossipMessage>().Any() && old.Received.OfType<HeartbeatMessage>().Count() == 3,
            "both peers got the items");
        await MarkerAsync(old);

        Assert.Empty(old.Received.OfType<MasternodeGossipMessage>());
        Assert.Equal(3, old.Received.OfType<MasternodeAnnouncementMessage>().Count());
        Assert.Equal(3, old.Received.OfType<HeartbeatMessage>().Count());
        // Announcements first, so the old peer knows each masternode before its heartbeat.
        var kinds = old.Received.Where(m => m is HeartbeatMessage or MasternodeAnnouncementMessage).Select(m => m.Type).ToList();
        Assert.Equal([.. Enumerable.Repeat(MessageType.MasternodeAnnouncement, 3), .. Enumerable.Repeat(MessageType.Heartbeat, 3)], kinds);
        Assert.Equal(6, Assert.Single(current.Received.OfType<MasternodeGossipMessage>()).Count);
    }

    [Fact]
    public async Task Batch_FiveHeartbeatsAboveABurstOfThree_CountsFiveAgainstTheHeartbeatLimit()
    {
        var limits = new Dictionary<string, RateLimit>(PeerPolicyOptions.GossipRateLimits) { ["Heartbeat"] = new RateLimit(0.001, 3) };
        await StartNodeAsync(policy: new PeerPolicyOptions { RateLimits = limits, MaxInboundPerIp = 20 });
        var sender = await ConnectAsync(SenderIp);
        var keys = Enumerable.Range(0, 5).Select(_ => NewMasternode()).ToList();

        await sender.Writer.WriteAsync(new MasternodeGossipMessage(keys.Select(k => (ReadOnlyMemory<byte>)Announcement(k)).ToArray(),
            keys.Select(k => (ReadOnlyMemory<byte>)HeartbeatOf(k)).ToArray()));
        await MarkerAsync(sender);

        Assert.All(keys, k => Assert.NotNull(Node.Masternodes.Find(k.PublicKey))); // five announcements: within their limit
        Assert.Equal(3, keys.Count(k => Node.Masternodes.Find(k.PublicKey)!.LastHeartbeat is not null));
        Assert.Equal(new PeerPolicyOptions().OrdinaryViolationWeight, Node.Policy.GetViolationScore(SenderIp)); // scored once
        Assert.Single(Node.Manager.Peers);
    }

    [Fact]
    public async Task Batch_OneForgedHeartbeat_ScoredAsAForgedSingleMessageAndTheItemsBeforeItKept()
    {
        await StartNodeAsync();
        var sender = await ConnectAsync(SenderIp);
        var good = NewMasternode();
        var victim = NewMasternode();
        using var forger = KeyPair.Generate();
        var signedByForger = Heartbeat.Create(forger, Chain.NetworkName, "10.7.9.9:24200", 5, _time.GetUtcNow(), 3);
        var forged = new Heartbeat(Chain.NetworkName, victim.PublicKey, "10.7.9.9:24200", 5, _time.GetUtcNow(), 3, signedByForger.Signature.Span).Encode();

        await sender.Writer.WriteAsync(new MasternodeGossipMessage([Announcement(good), Announcement(victim)], [HeartbeatOf(good), forged]));
        await Until(() => Node.Policy.GetViolationScore(SenderIp) > 0, "the forgery is scored");

        Assert.Equal(new PeerPolicyOptions().SevereViolationWeight, Node.Policy.GetViolationScore(SenderIp));
        Assert.NotNull(Node.Masternodes.Find(good.PublicKey)!.LastHeartbeat);
        Assert.Null(Node.Masternodes.Find(victim.PublicKey)!.LastHeartbeat);
    }

    /// <summary>
    /// A flush may run (on another thread, in production) while a batch is being handled. The copies a batch carries
    /// ahead of an item that takes work of its own (a signature check, a violation) are noted as known by their sender
    /// before that work, so such a flush does not send them back to it. Here the batch's malformed second item is
    /// scored, and the violation runs a flush at that very point.
    /// </summary>
    [Fact]
    public async Task Batch_FlushWhileTheBatchIsHandled_CopiesAheadOfThatPointNotSentBackToTheirSender()
    {
        await StartNodeAsync();
        var first = await ConnectAsync(SenderIp);
        var second = await ConnectAsync(IPAddress.Parse("10.7.0.3"));
        var listener = await ConnectAsync(IPAddress.Parse("10.7.0.4"));
        var key = NewMasternode();
        var heartbeat = HeartbeatOf(key);
        await first.Writer.WriteAsync(new MasternodeGossipMessage([Announcement(key)], [heartbeat]));
        await MarkerAsync(first);
        int flushes = 0;
        Node.Policy.ViolationRecorded += (_, _) =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
                Node.Manager.FlushGossip();
        };

        await second.Writer.WriteAsync(new MasternodeGossipMessage([], [heartbeat, new byte[] { 0xEE, 1, 2, 3 }]));
        await MarkerAsync(second);
        await Until(() => listener.Received.OfType<MasternodeGossipMessage>().Any(), "the flush sent the listener the items");
        await MarkerAsync(first);

        Assert.Equal(1, flushes);
        Assert.Equal(heartbeat, Assert.Single(listener.Received.OfType<MasternodeGossipMessage>()).Heartbeats.Single().ToArray());
        Assert.Empty(second.Received.OfType<MasternodeGossipMessage>().SelectMany(b => b.Heartbeats)); // it sent the copy
        Assert.Equal(0, GossipItemsReceived(first));
    }

    /// <summary>
    /// The seen-cache keys an item by its signature's R (see <c>ConnectionManager.GossipItemId</c>). A forger who copies a
    /// genuine heartbeat's signature onto other content is refused and scored, and does not keep the genuine one out.
    /// </summary>
    [Fact]
    public async Task SeenCache_ForgedCopyWithTheGenuineSignatureFirst_GenuineHeartbeatStillAcceptedAndRelayed()
    {
        await StartNodeAsync();
        var forger = await ConnectAsync(SenderIp);
        var honest = await ConnectAsync(IPAddress.Parse("10.7.0.3"));
        var listener = await ConnectAsync(IPAddress.Parse("10.7.0.4"));
        var key = NewMasternode();
        var genuine = Heartbeat.Create(key, Chain.NetworkName, "10.7.9.9:24200", 9, _time.GetUtcNow(), 3);
        var forged = new Heartbeat(Chain.NetworkName, key.PublicKey, "10.7.9.9:24200", 9, _time.GetUtcNow(), 999, genuine.Signature.Span).Encode();
        Assert.Equal(forged[^64..], genuine.Encode()[^64..]);

        await forger.Writer.WriteAsync(new MasternodeGossipMessage([Announcement(key)], [forged]));
        await Until(() => Node.Policy.GetViolationScore(SenderIp) > 0, "the forgery is scored");
        await honest.Writer.WriteAsync(new HeartbeatMessage(genuine.Encode()));
        await MarkerAsync(honest);

        Assert.Equal(new PeerPolicyOptions().SevereViolationWeight, Node.Policy.GetViolationScore(SenderIp));
        Assert.Equal(9UL, Node.Masternodes.Find(key.PublicKey)!.LastSequence);
        _time.Advance(OneFlush);
        await Until(() => listener.Received.OfType<MasternodeGossipMessage>().Any(), "the listener got the batch");
        Assert.Equal(genuine.Encode(), Assert.Single(listener.Received.OfType<MasternodeGossipMessage>()).Heartbeats.Single().ToArray());
    }

    [Fact]
    public async Task SeenCache_CopyWithTheSignaturesSecondHalfTampered_ScoredAsForgedNotDroppedAsADuplicate()
    {
        await StartNodeAsync();
        var honest = await ConnectAsync(IPAddress.Parse("10.7.0.3"));
        var forger = await ConnectAsync(SenderIp);
        var key = NewMasternode();
        var genuine = Heartbeat.Create(key, Chain.NetworkName, "10.7.9.9:24200", 9, _time.GetUtcNow(), 3).Encode();
        await honest.Writer.WriteAsync(new MasternodeGossipMessage([Announcement(key)], [genuine]));
        await MarkerAsync(honest);
        Assert.Equal(9UL, Node.Masternodes.Find(key.PublicKey)!.LastSequence);
        var tampered = genuine.ToArray();
        tampered[^1] ^= 0x5A; // the last byte of S: R (the first half of the signature) is the genuine one

        await forger.Writer.WriteAsync(new HeartbeatMessage(tampered));
        await Until(() => Node.Policy.GetViolationScore(SenderIp) > 0, "the tampered copy is scored"); // it is then closed

        Assert.Equal(new PeerPolicyOptions().SevereViolationWeight, Node.Policy.GetViolationScore(SenderIp));
    }

    [Fact]
    public async Task Batch_CountAboveTheMaximum_MalformedViolationThenAWellFormedBatchIsTaken()
    {
        await StartNodeAsync();
        var sender = await ConnectAsync(SenderIp);
        var payload = new byte[8 + 4 * (ProtocolLimits.MaxGossipHeartbeatsPerBatch + 1)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), ProtocolLimits.MaxGossipHeartbeatsPerBatch + 1);

        await sender.Writer.WriteAsync(MessageType.MasternodeGossip, payload);
        await MarkerAsync(sender);
        Assert.Equal(new PeerPolicyOptions().OrdinaryViolationWeight, Node.Policy.GetViolationScore(SenderIp));
        var key = NewMasternode();
        await sender.Writer.WriteAsync(new MasternodeGossipMessage([Announcement(key)], [HeartbeatOf(key)]));
        await MarkerAsync(sender);

        Assert.NotNull(Node.Masternodes.Find(key.PublicKey)?.LastHeartbeat);
        Assert.Single(Node.Manager.Peers);
        Assert.Equal(new PeerPolicyOptions().OrdinaryViolationWeight, Node.Policy.GetViolationScore(SenderIp));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers)
        {
            await peer.DisposeAsync();
            peer.Key.Dispose();
        }
        if (_node is not null)
            await _node.DisposeAsync();
        foreach (var key in _masternodes)
            key.Dispose();
    }
}
