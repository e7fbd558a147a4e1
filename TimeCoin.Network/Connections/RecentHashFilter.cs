using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>
/// A bounded set of recently seen hashes, used so that each heartbeat and announcement is relayed once. When full,
/// the oldest hash is forgotten first. Thread-safe.
/// </summary>
/// <remarks>
/// Every gossip item copy a node receives is looked up here (about 42,500 per node-hour in the 100-node simulation,
/// most of them copies already seen), so the set is an open-addressing table with linear probing whose slots are the
/// hashes themselves: a look-up reads one slot, usually in one cache line, where a <see cref="HashSet{T}"/> reads a
/// bucket and then an entry elsewhere; a gossip batch's items are looked up together (<see cref="ContainsAll"/>). The
/// table is at most half full (it doubles as the set grows; it never shrinks), and a forgotten hash is removed by
/// shifting the entries after it back (no tombstones). The all-zero hash marks an empty slot, so that one hash is kept
/// in a flag of its own. (A small table of the newest hashes looked up first was tried: it made every new item cost
/// a move between the tables, more than the copies saved.)
/// </remarks>
internal sealed class RecentHashFilter
{
    private const int InitialSlots = 64;

    private readonly Lock _gate = new();
    private readonly Queue<Hash256> _order = new();
    private readonly int _capacity;
    private Hash256[] _slots = new Hash256[InitialSlots];
    private int _used; // non-zero hashes in _slots
    private bool _hasZero;
    private long _removals;

    /// <summary>Creates a filter remembering at most <paramref name="capacity"/> hashes.</summary>
    public RecentHashFilter(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Number of hashes remembered.</summary>
    public int Count { get { lock (_gate) return _order.Count; } }

    /// <summary>Adds <paramref name="hash"/>; returns true when it was not seen before (relay it), false for a repeat.</summary>
    public bool TryAdd(Hash256 hash)
    {
        lock (_gate)
        {
            if (!AddLocked(hash))
                return false;
            _order.Enqueue(hash);
            while (_order.Count > _capacity)
            {
                RemoveLocked(_order.Dequeue());
                _removals++;
            }
            return true;
        }
    }

    /// <summary>True when <paramref name="hash"/> is remembered.</summary>
    public bool Contains(Hash256 hash)
    {
        lock (_gate)
            return hash.IsZero ? _hasZero : FindLocked(hash) >= 0;
    }

    /// <summary>
    /// Looks up every hash of <paramref name="hashes"/> at once: <paramref name="seen"/>[i] tells whether hashes[i] is
    /// remembered. One lock for all of them, and nothing else in between, so the processor overlaps their cache misses
    /// (taken one at a time, with a lock and an item's work between them, each was a wait on memory). Returns the
    /// filter's <see cref="Removals"/> at that moment: while it is unchanged, every true answer still holds (a hash
    /// stays until it is forgotten; a false answer may have become true meanwhile). <see cref="StillContains"/> reads the
    /// answers later, looking the rest up again when something was forgotten meanwhile.
    /// </summary>
    public long ContainsAll(ReadOnlySpan<Hash256> hashes, Span<bool> seen)
    {
        if (seen.Length < hashes.Length)
            throw new ArgumentException("One answer per hash.", nameof(seen));
        lock (_gate)
        {
            ContainsAllLocked(hashes, seen);
            return _removals;
        }
    }

    /// <summary>
    /// Whether <paramref name="hashes"/>[<paramref name="index"/>] is still remembered, by the answers of an earlier
    /// <see cref="ContainsAll"/> over <paramref name="hashes"/> (<paramref name="seen"/>, and the
    /// <paramref name="removals"/> it returned): true only when it is remembered now, and always when it was found then
    /// and stayed remembered since. False for a hash found unseen (it may have been added since: the caller looks it up
    /// again). When the filter forgot something since the answers were taken (once it is full, every new hash pushes out
    /// the oldest, so that is most of the time), the hashes from <paramref name="index"/> on are looked up again, under
    /// the same lock, and <paramref name="seen"/> and <paramref name="removals"/> updated: the batch keeps its one look-up
    /// per run of copies instead of sending every later copy down the one-by-one path. Entries before
    /// <paramref name="index"/> are not read.
    /// </summary>
    public bool StillContains(ReadOnlySpan<Hash256> hashes, Span<bool> seen, int index, ref long removals)
    {
        if (!seen[index])
            return false;
        lock (_gate)
        {
            if (_removals != removals)
            {
                ContainsAllLocked(hashes[index..], seen[index..]);
                removals = _removals;
            }
            return seen[index];
        }
    }

    /// <summary>How many hashes were forgotten so far (see <see cref="ContainsAll"/>).</summary>
    public long Removals { get { lock (_gate) return _removals; } }

    private void ContainsAllLocked(ReadOnlySpan<Hash256> hashes, Span<bool> seen)
    {
        for (int i = 0; i < hashes.Length; i++)
            seen[i] = hashes[i].IsZero ? _hasZero : FindLocked(hashes[i]) >= 0;
    }

    private static int Home(Hash256 hash, int mask) => hash.GetHashCode() & mask;

    /// <summary>The slot holding <paramref name="hash"/> (not zero), or -1.</summary>
    private int FindLocked(Hash256 hash)
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

    private bool AddLocked(Hash256 hash)
    {
        if (hash.IsZero)
        {
            if (_hasZero)
                return false;
            _hasZero = true;
            return true;
        }
        if (FindLocked(hash) >= 0)
            return false;
        if ((_used + 1) * 2 > _slots.Length)
            Grow();
        Insert(_slots, hash);
        _used++;
        return true;
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

    /// <summary>Removes <paramref name="hash"/>, which is present.</summary>
    private void RemoveLocked(Hash256 hash)
    {
        if (hash.IsZero)
        {
            _hasZero = false;
            return;
        }
        var slots = _slots;
        int mask = slots.Length - 1;
        int hole = FindLocked(hash);
        // Backward shift: every entry after the hole, up to the next empty slot, that may live in the hole (its home is
        // not between the hole and where it sits) moves into it, and its old slot becomes the hole.
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
}
