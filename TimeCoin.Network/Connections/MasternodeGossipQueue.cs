using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>
/// The masternode gossip (signed announcements and heartbeats) waiting for the next trickle flush, with the peers
/// known to have each item. No I/O and no clock: the connection manager enqueues what it accepted, notes duplicate
/// copies as they arrive, and at each flush takes one batch per peer (<see cref="TakeBatches{TPeer}(IReadOnlyList{TPeer}, int, Action{TPeer[]})"/>).
/// </summary>
/// <remarks>
/// <para>
/// Each item is relayed once by a node (the relay filter stops a second enqueue), so who knows an item matters only
/// until it is flushed: the queue keeps, per pending item, the peers that sent it to us meanwhile, and forgets them
/// with the item. That is the per-peer known filter in the only window where it can save a send; it is bounded by
/// <see cref="Capacity"/> items times the peers of the node, and costs nothing for an idle peer. A peer that sent
/// something in the window gets a small number for it, and an item's known peers are a bitmap of those numbers (one
/// word inline covers the first 64 such peers), so a check is one bit however many peers echoed the item; each peer
/// also counts the relayed items it knows, so one that knows them all is passed over without looking at any. A flush
/// is then at most (fan-out + 1) × items + peers × own items checks (peers that echo everything used to make it
/// items × peers × peers).
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

    private readonly Lock _gate = new();
    private readonly Dictionary<Hash256, Item> _pending = new();
    private List<Item> _order = new();
    private Window _window = new();
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

    /// <summary>The work of the last <see cref="TakeBatches{TPeer}(IReadOnlyList{TPeer}, int, Action{TPeer[]})"/>: how many times it checked one item for one peer.</summary>
    internal long LastTakeWork { get; private set; }

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
                    _window.MarkKnown(existing, receivedFrom);
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
                _window.MarkKnown(item, receivedFrom);
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
            _window.MarkKnown(item, peer);
            return true;
        }
    }

    /// <summary>
    /// As <see cref="MarkKnown(Hash256, object)"/> for each of <paramref name="hashes"/> (copies from one peer, in one
    /// batch), under one lock: the look-ups' cache misses overlap instead of waiting one at a time.
    /// </summary>
    public void MarkKnownAll(ReadOnlySpan<Hash256> hashes, object peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (hashes.IsEmpty)
            return;
        lock (_gate)
        {
            foreach (var hash in hashes)
            {
                if (_pending.TryGetValue(hash, out var item))
                    _window.MarkKnown(item, peer);
            }
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
        ArgumentNullException.ThrowIfNull(random);
        return TakeBatches(peers, fanOut, random.Shuffle);
    }

    /// <summary>
    /// As <see cref="TakeBatches{TPeer}(IReadOnlyList{TPeer}, int, Random)"/>, with the peers' order drawn by
    /// <paramref name="shuffle"/> (called once, only when there is something to send to someone): the caller holds its
    /// randomness's lock for the shuffle alone, not for the whole flush.
    /// </summary>
    public IReadOnlyList<(TPeer Peer, GossipBatch Batch)> TakeBatches<TPeer>(IReadOnlyList<TPeer> peers, int fanOut, Action<TPeer[]> shuffle)
        where TPeer : class
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(shuffle);
        List<Item> items;
        Window window;
        lock (_gate)
        {
            if (_order.Count == 0)
                return [];
            items = _order;
            window = _window;
            _order = new List<Item>();
            _window = new Window();
            _pending.Clear();
        }
        LastTakeWork = 0;
        if (peers.Count == 0)
            return [];
        var shuffled = peers.ToArray();
        shuffle(shuffled);
        List<Item>? ownItems = null;
        foreach (var item in items)
        {
            if (item.Own)
                (ownItems ??= new List<Item>()).Add(item);
        }
        int relayedCount = items.Count - (ownItems?.Count ?? 0);
        var result = new List<(TPeer, GossipBatch)>();
        long work = 0;
        int relayedTo = 0;
        foreach (var peer in shuffled)
        {
            int index = window.IndexOf(peer);
            // A peer that knows every relayed item gets none and takes no fan-out slot: only our own items are looked at.
            bool relayTarget = relayedTo < fanOut && window.RelayedKnownBy(index) < relayedCount;
            var candidates = relayTarget ? items : ownItems;
            if (candidates is null)
                continue;
            List<ReadOnlyMemory<byte>>? announcements = null, heartbeats = null;
            bool gotRelay = false;
            foreach (var item in candidates)
            {
                work++;
                if (item.IsKnownBy(index))
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
        LastTakeWork = work;
        return result;
    }

    /// <summary>
    /// The peers that sent something since the last flush, each with a small number (its bit in an item's known peers)
    /// and how many of the pending relayed items it knows. Replaced at each flush, with the items.
    /// </summary>
    private sealed class Window
    {
        private readonly Dictionary<object, int> _indices = new(ReferenceEqualityComparer.Instance);
        private readonly List<int> _relayedKnown = new();

        public void MarkKnown(Item item, object peer)
        {
            if (!_indices.TryGetValue(peer, out int index))
            {
                index = _indices.Count;
                _indices.Add(peer, index);
                _relayedKnown.Add(0);
            }
            if (item.SetKnown(index) && !item.Own)
                _relayedKnown[index]++;
        }

        /// <summary>The peer's number, or -1 when it sent nothing in this window (it knows no item).</summary>
        public int IndexOf(object peer) => _indices.TryGetValue(peer, out int index) ? index : -1;

        public int RelayedKnownBy(int index) => index < 0 ? 0 : _relayedKnown[index];
    }

    private sealed class Item(ReadOnlyMemory<byte> bytes, bool isAnnouncement, bool own)
    {
        private ulong _known; // peers 0-63 of the window
        private ulong[]? _moreKnown; // peers from 64 on: most items are known by one or two peers
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;
        public bool IsAnnouncement { get; } = isAnnouncement;
        public bool Own { get; } = own;

        /// <summary>Marks peer <paramref name="index"/> as knowing this item; false when it already did.</summary>
        public bool SetKnown(int index)
        {
            ulong bit = 1UL << (index & 63);
            if (index < 64)
            {
                bool was = (_known & bit) != 0;
                _known |= bit;
                return !was;
            }
            int word = (index >> 6) - 1;
            if (_moreKnown is null || _moreKnown.Length <= word)
                Array.Resize(ref _moreKnown, word + 1);
            bool had = (_moreKnown[word] & bit) != 0;
            _moreKnown[word] |= bit;
            return !had;
        }

        public bool IsKnownBy(int index)
        {
            if (index < 0)
                return false;
            ulong bit = 1UL << (index & 63);
            if (index < 64)
                return (_known & bit) != 0;
            int word = (index >> 6) - 1;
            return _moreKnown is not null && word < _moreKnown.Length && (_moreKnown[word] & bit) != 0;
        }
    }
}
