using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>
/// The masternode gossip (signed announcements and heartbeats) waiting for the next trickle flush, with the peers
/// known to have each item. No I/O and no clock: the connection manager enqueues what it accepted, notes duplicate
/// copies as they arrive, and at each flush takes one batch per peer (<see cref="TakeBatches{TPeer}"/>).
/// </summary>
/// <remarks>
/// <para>
/// Each item is relayed once by a node (the relay filter stops a second enqueue), so who knows an item matters only
/// until it is flushed: the queue keeps, per pending item, the peers that sent it to us meanwhile, and forgets them
/// with the item. That is the per-peer known filter in the only window where it can save a send; it is bounded by
/// <see cref="Capacity"/> items times the peers of the node, and costs nothing for an idle peer.
/// </para>
/// <para>
/// Fan-out is per flush, not per item: a flush relays the pending items to at most <c>fanOut</c> peers (in random
/// order, skipping peers that already know every item), so a node sends at most <c>fanOut</c> relay frames per flush
/// however many items are pending. Items we created ourselves go to every peer that does not know them (the
/// origin's first hop is as wide as a broadcast), in the same frame as any relays to that peer.
/// </para>
/// Thread-safe.
/// </remarks>
internal sealed class MasternodeGossipQueue
{
    /// <summary>
    /// Items kept pending at most (default 10,000): ten times an honest flush of a 10,000-masternode network (about
    /// 170 announcements and 1,250 heartbeats in 7.5 s). A full queue drops new items from relay (still accepted here).
    /// </summary>
    public const int DefaultCapacity = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<Hash256, Item> _pending = new();
    private List<Item> _order = new();
    private long _dropped;

    /// <summary>Creates a queue holding at most <paramref name="capacity"/> pending items.</summary>
    public MasternodeGossipQueue(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most pending items.</summary>
    public int Capacity { get; }

    /// <summary>Items waiting for the next flush.</summary>
    public int Count { get { lock (_gate) return _order.Count; } }

    /// <summary>Items not queued because the queue was full (they were accepted, only not relayed).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Queues an item for the next flush. <paramref name="receivedFrom"/> is the peer it came from (it is never sent
    /// back there), null for our own. Returns false when the item is already pending (the sender is then noted as
    /// knowing it) or the queue is full (only relayed items are refused for room; our own always go in).
    /// </summary>
    public bool Enqueue(Hash256 hash, ReadOnlyMemory<byte> bytes, bool isAnnouncement, bool own, object? receivedFrom)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(hash, out var existing))
            {
                if (receivedFrom is not null)
                    existing.MarkKnown(receivedFrom);
                return false;
            }
            // Our own heartbeat and announcement are never dropped for room: a peer flooding relayed items must not
            // make this masternode look offline. They come at our own pace (a few a minute), so the bound holds.
            if (!own && _order.Count >= Capacity)
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }
            var item = new Item(bytes, isAnnouncement, own);
            if (receivedFrom is not null)
                item.MarkKnown(receivedFrom);
            _pending.Add(hash, item);
            _order.Add(item);
            return true;
        }
    }

    /// <summary>
    /// A copy of a pending item arrived from <paramref name="peer"/>: it knows the item and is not sent it. Returns
    /// false when the item is not pending (already flushed, or never queued).
    /// </summary>
    public bool MarkKnown(Hash256 hash, object peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate)
        {
            if (!_pending.TryGetValue(hash, out var item))
                return false;
            item.MarkKnown(peer);
            return true;
        }
    }

    /// <summary>
    /// Takes every pending item and decides who gets what: our own items go to every peer that does not know them;
    /// relayed items go to the first <paramref name="fanOut"/> peers, in the order <paramref name="random"/> shuffles
    /// them, that lack at least one of them (each gets the ones it lacks). Returns one batch per peer that gets
    /// anything, in that shuffled order; the queue is empty afterwards.
    /// </summary>
    public IReadOnlyList<(TPeer Peer, GossipBatch Batch)> TakeBatches<TPeer>(IReadOnlyList<TPeer> peers, int fanOut, Random random)
        where TPeer : class
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(random);
        List<Item> items;
        lock (_gate)
        {
            if (_order.Count == 0)
                return [];
            items = _order;
            _order = new List<Item>();
            _pending.Clear();
        }
        if (peers.Count == 0)
            return [];
        var shuffled = peers.ToArray();
        random.Shuffle(shuffled);
        var result = new List<(TPeer, GossipBatch)>();
        int relayedTo = 0;
        foreach (var peer in shuffled)
        {
            bool relayTarget = relayedTo < fanOut;
            List<ReadOnlyMemory<byte>>? announcements = null, heartbeats = null;
            bool gotRelay = false;
            foreach (var item in items)
            {
                if (!(item.Own || relayTarget) || item.IsKnownBy(peer))
                    continue;
                gotRelay |= !item.Own;
                if (item.IsAnnouncement)
                    (announcements ??= new List<ReadOnlyMemory<byte>>()).Add(item.Bytes);
                else
                    (heartbeats ??= new List<ReadOnlyMemory<byte>>()).Add(item.Bytes);
            }
            if (gotRelay)
                relayedTo++;
            if (announcements is not null || heartbeats is not null)
                result.Add((peer, new GossipBatch(announcements ?? [], heartbeats ?? [])));
        }
        return result;
    }

    private sealed class Item(ReadOnlyMemory<byte> bytes, bool isAnnouncement, bool own)
    {
        private object? _knownBy; // one peer, or a List<object> of them: most items are known by one or two
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;
        public bool IsAnnouncement { get; } = isAnnouncement;
        public bool Own { get; } = own;

        public void MarkKnown(object peer)
        {
            switch (_knownBy)
            {
                case null:
                    _knownBy = peer;
                    break;
                case List<object> list:
                    if (!Contains(list, peer))
                        list.Add(peer);
                    break;
                default:
                    if (!ReferenceEquals(_knownBy, peer))
                        _knownBy = new List<object>(4) { _knownBy, peer };
                    break;
            }
        }

        public bool IsKnownBy(object peer) => _knownBy switch
        {
            null => false,
            List<object> list => Contains(list, peer),
            _ => ReferenceEquals(_knownBy, peer),
        };

        private static bool Contains(List<object> list, object peer)
        {
            foreach (var known in list)
            {
                if (ReferenceEquals(known, peer))
                    return true;
            }
            return false;
        }
    }
}
