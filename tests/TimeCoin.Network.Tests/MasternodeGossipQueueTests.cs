using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;

namespace TimeCoin.Network.Tests;

/// <summary>Who gets what at a gossip flush: fan-out per flush, own items to everyone, known items never, announcements first.</summary>
public class MasternodeGossipQueueTests
{
    private sealed class Peer(string name)
    {
        public override string ToString() => name;
    }

    private static readonly Peer[] Peers = Enumerable.Range(0, 10).Select(i => new Peer($"p{i}")).ToArray();

    private static (Hash256 Hash, byte[] Bytes) Item(int n)
    {
        var bytes = BitConverter.GetBytes(n);
        return (Hash256.DoubleSha256(bytes), bytes);
    }

    [Fact]
    public void TakeBatches_RelayedItems_ExactlyTheFanOutPeersGetAllOfThem()
    {
        var queue = new MasternodeGossipQueue();
        for (int i = 0; i < 20; i++)
        {
            var (hash, bytes) = Item(i);
            queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: null);
        }

        var batches = queue.TakeBatches(Peers, fanOut: 3, new Random(1));

        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(20, b.Batch.Heartbeats.Count));
        Assert.Equal(0, queue.Count);
        Assert.Empty(queue.TakeBatches(Peers, 3, new Random(1)));
    }

    [Fact]
    public void TakeBatches_OwnItem_EveryPeerButTheRelayedOnlyToTheFanOut()
    {
        var queue = new MasternodeGossipQueue();
        var (ownHash, own) = Item(1);
        var (relayHash, relayed) = Item(2);
        queue.Enqueue(ownHash, own, isAnnouncement: false, own: true, receivedFrom: null);
        queue.Enqueue(relayHash, relayed, isAnnouncement: false, own: false, receivedFrom: Peers[0]);

        var batches = queue.TakeBatches(Peers, fanOut: 2, new Random(1));

        Assert.Equal(Peers.Length, batches.Count);
        Assert.All(batches, b => Assert.Contains(b.Batch.Heartbeats, h => h.Span.SequenceEqual(own)));
        Assert.Equal(2, batches.Count(b => b.Batch.Heartbeats.Count == 2));
        Assert.DoesNotContain(batches, b => b.Peer == Peers[0] && b.Batch.Heartbeats.Count == 2);
    }

    [Fact]
    public void TakeBatches_PeerThatSentEveryItem_NeitherGetsThemNorTakesAFanOutSlot()
    {
        var queue = new MasternodeGossipQueue();
        var (hash, bytes) = Item(1);
        queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: Peers[0]);
        for (int i = 1; i < 9; i++)
            Assert.True(queue.MarkKnown(hash, Peers[i]));

        var batches = queue.TakeBatches(Peers, fanOut: 3, new Random(1));

        // Nine of ten peers sent it: only the tenth lacks it, and it is the only one sent anything.
        Assert.Equal(Peers[9], Assert.Single(batches).Peer);
    }

    [Fact]
    public void Enqueue_SameItemTwice_QueuedOnceAndTheSecondSenderKnowsIt()
    {
        var queue = new MasternodeGossipQueue();
        var (hash, bytes) = Item(1);

        Assert.True(queue.Enqueue(hash, bytes, isAnnouncement: true, own: false, receivedFrom: Peers[0]));
        Assert.False(queue.Enqueue(hash, bytes, isAnnouncement: true, own: false, receivedFrom: Peers[1]));
        var batches = queue.TakeBatches(Peers[..3], fanOut: 8, new Random(1));

        Assert.Equal(Peers[2], Assert.Single(batches).Peer);
        Assert.Single(batches[0].Batch.Announcements);
    }

    [Fact]
    public void TakeBatches_MixedKinds_AnnouncementsSeparateFromHeartbeatsInQueueOrder()
    {
        var queue = new MasternodeGossipQueue();
        var items = Enumerable.Range(0, 6).Select(Item).ToList();
        for (int i = 0; i < items.Count; i++)
            queue.Enqueue(items[i].Hash, items[i].Bytes, isAnnouncement: i % 2 == 0, own: false, receivedFrom: null);

        var batch = Assert.Single(queue.TakeBatches(Peers[..1], fanOut: 1, new Random(1))).Batch;

        Assert.Equal([items[0].Bytes, items[2].Bytes, items[4].Bytes], batch.Announcements.Select(a => a.ToArray()));
        Assert.Equal([items[1].Bytes, items[3].Bytes, items[5].Bytes], batch.Heartbeats.Select(h => h.ToArray()));
    }

    [Fact]
    public void Enqueue_QueueFull_NewItemDroppedAndCounted()
    {
        var queue = new MasternodeGossipQueue(capacity: 2);
        for (int i = 0; i < 3; i++)
        {
            var (hash, bytes) = Item(i);
            queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: null);
        }

        Assert.Equal(2, queue.Count);
        Assert.Equal(1, queue.Dropped);
    }

    [Fact]
    public void Enqueue_QueueFilledByRelayedItems_OwnHeartbeatStillQueuedAndSentToEveryPeer()
    {
        var queue = new MasternodeGossipQueue(capacity: 2);
        for (int i = 0; i < 2; i++)
        {
            var (hash, bytes) = Item(i);
            queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: Peers[0]);
        }
        var (ownHash, ownBytes) = Item(99);

        Assert.True(queue.Enqueue(ownHash, ownBytes, isAnnouncement: false, own: true, receivedFrom: null));

        var batches = queue.TakeBatches(Peers, fanOut: 1, new Random(1));
        Assert.Equal(Peers.Length, batches.Count(b => b.Batch.Heartbeats.Any(h => h.ToArray().SequenceEqual(ownBytes))));
        Assert.Equal(0, queue.Dropped);
    }

    /// <summary>
    /// Peers that echo every item back before the flush: each pending item is then known by every peer. The flush's
    /// work was items × peers × known-by length (each check scanned the item's list of peers), about a million steps
    /// here; now a peer that knows every relayed item is passed over at once, and a check is one bit.
    /// </summary>
    [Fact]
    public void TakeBatches_EveryPeerEchoedEveryItem_WorkBoundedByFanOutTimesItemsPlusPeersTimesOwnItems()
    {
        const int items = 400, fanOut = 8;
        var peers = Enumerable.Range(0, 50).Select(i => new Peer($"e{i}")).ToArray();
        var queue = new MasternodeGossipQueue();
        for (int i = 0; i < items; i++)
        {
            var (hash, bytes) = Item(i);
            queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: peers[i % peers.Length]);
            foreach (var peer in peers)
                queue.MarkKnown(hash, peer);
        }
        var (ownHash, own) = Item(-1);
        queue.Enqueue(ownHash, own, isAnnouncement: false, own: true, receivedFrom: null);

        var batches = queue.TakeBatches(peers, fanOut, new Random(1));

        Assert.Equal(peers.Length, batches.Count); // only our own item, to every peer
        Assert.All(batches, b => Assert.Equal(own, Assert.Single(b.Batch.Heartbeats).ToArray()));
        long bound = (long)fanOut * (items + 1) + peers.Length * 2;
        Assert.InRange(queue.LastTakeWork, 0, bound);
    }

    /// <summary>The normal case is unchanged: each peer gets exactly the items it did not send, fan-out peers first in shuffled order.</summary>
    [Fact]
    public void TakeBatches_SomePeersKnowSomeItems_EachFanOutPeerGetsWhatItLacks()
    {
        var queue = new MasternodeGossipQueue();
        for (int i = 0; i < 30; i++)
        {
            var (hash, bytes) = Item(i);
            queue.Enqueue(hash, bytes, isAnnouncement: i % 3 == 0, own: false, receivedFrom: Peers[i % 4]);
            if (i % 5 == 0)
                queue.MarkKnown(hash, Peers[5]);
        }

        var batches = queue.TakeBatches(Peers, fanOut: 10, new Random(7));

        Assert.Equal(Peers.Length, batches.Count);
        foreach (var (peer, batch) in batches)
        {
            int p = Array.IndexOf(Peers, peer);
            var expected = Enumerable.Range(0, 30).Where(i => i % 4 != p && !(p == 5 && i % 5 == 0)).ToList();
            Assert.Equal(expected.Where(i => i % 3 == 0).Select(i => Item(i).Bytes), batch.Announcements.Select(a => a.ToArray()));
            Assert.Equal(expected.Where(i => i % 3 != 0).Select(i => Item(i).Bytes), batch.Heartbeats.Select(h => h.ToArray()));
        }
    }

    /// <summary>A batch's copies noted at once give the flush exactly what one note per copy gives.</summary>
    [Fact]
    public void MarkKnownAll_SameBatchesAsOneMarkKnownPerCopy()
    {
        var one = new MasternodeGossipQueue();
        var all = new MasternodeGossipQueue();
        for (int i = 0; i < 30; i++)
        {
            var (hash, bytes) = Item(i);
            one.Enqueue(hash, bytes, isAnnouncement: i % 3 == 0, own: i % 7 == 0, receivedFrom: i % 7 == 0 ? null : Peers[i % 4]);
            all.Enqueue(hash, bytes, isAnnouncement: i % 3 == 0, own: i % 7 == 0, receivedFrom: i % 7 == 0 ? null : Peers[i % 4]);
        }
        for (int p = 4; p < 8; p++)
        {
            // Each peer sent copies of some pending items, and of items that are not pending (30-34).
            var copies = Enumerable.Range(0, 35).Where(i => i % (p - 2) == 0).Select(i => Item(i).Hash).ToArray();
            foreach (var hash in copies)
                one.MarkKnown(hash, Peers[p]);
            all.MarkKnownAll(copies, Peers[p]);
        }
        all.MarkKnownAll([], Peers[9]);

        var expected = one.TakeBatches(Peers, fanOut: 3, new Random(5));
        var actual = all.TakeBatches(Peers, fanOut: 3, new Random(5));

        Assert.Equal(expected.Select(b => b.Peer), actual.Select(b => b.Peer));
        Assert.Equal(expected.Select(b => b.Batch.Announcements.Count + 100 * b.Batch.Heartbeats.Count),
            actual.Select(b => b.Batch.Announcements.Count + 100 * b.Batch.Heartbeats.Count));
        Assert.Equal(one.LastTakeWork, all.LastTakeWork);
    }

    [Fact]
    public void TakeBatches_SameSeed_SamePeersChosen()
    {
        IReadOnlyList<Peer> Chosen(int seed)
        {
            var queue = new MasternodeGossipQueue();
            var (hash, bytes) = Item(1);
            queue.Enqueue(hash, bytes, isAnnouncement: false, own: false, receivedFrom: null);
            return queue.TakeBatches(Peers, fanOut: 3, new Random(seed)).Select(b => b.Peer).ToList();
        }

        Assert.Equal(Chosen(7), Chosen(7));
    }
}
