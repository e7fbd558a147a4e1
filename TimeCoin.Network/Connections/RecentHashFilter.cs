using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>
/// A bounded set of recently seen hashes, used so that each heartbeat and announcement is relayed once. When full,
/// the oldest hash is forgotten first. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Every gossip item copy a node receives is looked up here (about 42,500 per node-hour in the 100-node simulation),
/// and most of them are copies of an item seen moments before: each node gets an item from several peers within a few
/// trickle intervals. The set is kept in two parts: the newest <see cref="YoungCount"/> hashes, in a table small
/// enough to stay in the processor's cache, and the older ones (up to the capacity) in a table that grows with them. A
/// look-up asks the young table first, so a copy of a recent item never reads the large table, whose every look-up
/// was a cache miss (the filter's look-up was 3.5 % of the 100-node simulation's samples); only a hash the young
/// table lacks (a new item, or a very late copy) is looked up there too. The hash that leaves the young part moves to
/// the old one; the oldest of all is forgotten past the capacity. Membership is exactly that of one first-in,
/// first-out set of the capacity.
/// </para>
/// <para>
/// Each part is an open-addressing table with linear probing whose slots are the hashes themselves (one slot read per
/// look-up, usually one cache line), at most half full, with backward-shift removal (no tombstones). The all-zero hash
/// marks an empty slot, so that one hash is kept in a flag of its own.
/// </para>
/// </remarks>
internal sealed class RecentHashFilter
{
    /// <summary>Hashes kept in the young part (its table has twice as many slots: 32 KiB).</summary>
    internal const int YoungCount = 512;

    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly HashTable _young = new(2 * YoungCount);
    private readonly Queue<Hash256> _youngOrder = new();
    private readonly HashTable _old = new(64);
    private readonly Queue<Hash256> _oldOrder = new();

    /// <summary>Creates a filter remembering at most <paramref name="capacity"/> hashes.</summary>
    public RecentHashFilter(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Number of hashes remembered.</summary>
    public int Count { get { lock (_gate) return _youngOrder.Count + _oldOrder.Count; } }

    /// <summary>Adds <paramref name="hash"/>; returns true when it was not seen before (relay it), false for a repeat.</summary>
    public bool TryAdd(Hash256 hash)
    {
        lock (_gate)
        {
            if (ContainsLocked(hash))
                return false;
            if (_youngOrder.Count == YoungCount)
            {
                var aged = _youngOrder.Dequeue();
                _young.Remove(aged);
                _old.Add(aged);
                _oldOrder.Enqueue(aged);
            }
            _young.Add(hash);
            _youngOrder.Enqueue(hash);
            // Past the capacity the oldest hash goes: the old part's first, or the young part's when all are young.
            while (_youngOrder.Count + _oldOrder.Count > _capacity)
            {
                if (_oldOrder.Count > 0)
                    _old.Remove(_oldOrder.Dequeue());
                else
                    _young.Remove(_youngOrder.Dequeue());
            }
            return true;
        }
    }

    /// <summary>True when <paramref name="hash"/> is remembered.</summary>
    public bool Contains(Hash256 hash)
    {
        lock (_gate)
            return ContainsLocked(hash);
    }

    private bool ContainsLocked(Hash256 hash) => _young.Contains(hash) || (_oldOrder.Count > 0 && _old.Contains(hash));

    /// <summary>
    /// A set of hashes: open addressing with linear probing over the hashes themselves, at most half full (it doubles
    /// as it fills and never shrinks), backward-shift removal. Not thread-safe (the filter's lock covers it).
    /// </summary>
    private sealed class HashTable(int initialSlots)
    {
        private Hash256[] _slots = new Hash256[initialSlots]; // a power of two; Hash256.Zero marks an empty slot
        private int _used; // non-zero hashes in _slots
        private bool _hasZero;

        public bool Contains(Hash256 hash) => hash.IsZero ? _hasZero : Find(hash) >= 0;

        /// <summary>Adds <paramref name="hash"/>, which is not in the table.</summary>
        public void Add(Hash256 hash)
        {
            if (hash.IsZero)
            {
                _hasZero = true;
                return;
            }
            if ((_used + 1) * 2 > _slots.Length)
                Grow();
            Insert(_slots, hash);
            _used++;
        }

        /// <summary>Removes <paramref name="hash"/>, which is in the table.</summary>
        public void Remove(Hash256 hash)
        {
            if (hash.IsZero)
            {
                _hasZero = false;
                return;
            }
            var slots = _slots;
            int mask = slots.Length - 1;
            int hole = Find(hash);
            // Backward shift: every entry after the hole, up to the next empty slot, that may live in the hole (its
            // home is not between the hole and where it sits) moves into it, and its old slot becomes the hole.
            for (int i = (hole + 1) & mask; !slots[i].IsZero; i = (i + 1) & mask)
            {
                int home = Home(slots[i], mask);
                if (((i - home) & mask) >= ((i - hole) & mask))
                {
                    slots[hole] = slots[i];
                    hole = i;
                }
            }
            slots[hole] = default;
            _used--;
        }

        private static int Home(Hash256 hash, int mask) => hash.GetHashCode() & mask;

        /// <summary>The slot holding <paramref name="hash"/> (not zero), or -1.</summary>
        private int Find(Hash256 hash)
        {
            var slots = _slots;
            int mask = slots.Length - 1;
            for (int i = Home(hash, mask); ; i = (i + 1) & mask)
            {
                ref readonly var slot = ref slots[i];
                if (slot.Equals(hash))
                    return i;
                if (slot.IsZero)
                    return -1;
            }
        }

        private void Grow()
        {
            var old = _slots;
            var slots = new Hash256[old.Length * 2];
            foreach (var hash in old)
            {
                if (!hash.IsZero)
                    Insert(slots, hash);
            }
            _slots = slots;
        }

        /// <summary>Puts <paramref name="hash"/> (not zero, not present) in the first empty slot from its home.</summary>
        private static void Insert(Hash256[] slots, Hash256 hash)
        {
            int mask = slots.Length - 1;
            int i = Home(hash, mask);
            while (!slots[i].IsZero)
                i = (i + 1) & mask;
            slots[i] = hash;
        }
    }
}
