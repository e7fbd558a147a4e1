using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>
/// A bounded set of recently seen hashes, used so that each heartbeat and announcement is relayed once. When full,
/// the oldest hash is forgotten first. Thread-safe.
/// </summary>
internal sealed class RecentHashFilter
{
    private readonly object _gate = new();
    private readonly HashSet<Hash256> _set = new();
    private readonly Queue<Hash256> _order = new();
    private readonly int _capacity;

    /// <summary>Creates a filter remembering at most <paramref name="capacity"/> hashes.</summary>
    public RecentHashFilter(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Number of hashes remembered.</summary>
    public int Count { get { lock (_gate) return _set.Count; } }

    /// <summary>Adds <paramref name="hash"/>; returns true when it was not seen before (relay it), false for a repeat.</summary>
    public bool TryAdd(Hash256 hash)
    {
        lock (_gate)
        {
            if (!_set.Add(hash))
                return false;
            _order.Enqueue(hash);
            while (_order.Count > _capacity)
                _set.Remove(_order.Dequeue());
            return true;
        }
    }

    /// <summary>True when <paramref name="hash"/> is remembered.</summary>
    public bool Contains(Hash256 hash)
    {
        lock (_gate)
            return _set.Contains(hash);
    }
}
