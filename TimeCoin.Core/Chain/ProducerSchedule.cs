using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// The deterministic proof-of-authority schedule (Aura style). Time is cut into slots of <see cref="BlockTimeSeconds"/>
/// from <see cref="GenesisTime"/>: slot s starts at <c>genesis_time + s * block_time</c>, and its producer is
/// <c>federation[s mod n]</c> of the canonically sorted, deduplicated federation. Immutable and thread-safe.
/// </summary>
public sealed class ProducerSchedule
{
    private readonly PublicKey[] _federation;

    /// <summary>Creates a schedule; the federation is sorted byte-wise and deduplicated here.</summary>
    /// <exception cref="ArgumentException">The federation is empty or has a null key.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Block time not positive or genesis time negative.</exception>
    public ProducerSchedule(long genesisTime, int blockTimeSeconds, IEnumerable<PublicKey> federation)
    {
        ArgumentNullException.ThrowIfNull(federation);
        ArgumentOutOfRangeException.ThrowIfNegative(genesisTime);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockTimeSeconds);
        _federation = Canonicalize(federation);
        if (_federation.Length == 0)
            throw new ArgumentException("The federation needs at least one key.", nameof(federation));
        GenesisTime = genesisTime;
        BlockTimeSeconds = blockTimeSeconds;
    }

    /// <summary>Unix seconds at which slot 0 starts.</summary>
    public long GenesisTime { get; }

    /// <summary>Length of a slot in seconds.</summary>
    public int BlockTimeSeconds { get; }

    /// <summary>The federation, sorted byte-wise without duplicates.</summary>
    public IReadOnlyList<PublicKey> Federation => _federation;

    /// <summary>The slot containing <paramref name="unixSeconds"/>: <c>(t - genesis_time) / block_time</c>; 0 before genesis.</summary>
    public ulong SlotAt(long unixSeconds) =>
        unixSeconds <= GenesisTime ? 0 : (ulong)(unixSeconds - GenesisTime) / (ulong)BlockTimeSeconds;

    /// <summary>The slot containing <paramref name="time"/> (whole seconds); 0 before genesis.</summary>
    public ulong SlotAt(DateTimeOffset time) => SlotAt(time.ToUnixTimeSeconds());

    /// <summary>The start of <paramref name="slot"/> in unix seconds, or false when it does not fit in a 64-bit time.</summary>
    public bool TryGetSlotTimestamp(ulong slot, out long timestamp)
    {
        timestamp = 0;
        if (slot > (ulong)(long.MaxValue - GenesisTime) / (ulong)BlockTimeSeconds)
            return false;
        timestamp = GenesisTime + (long)slot * BlockTimeSeconds;
        return true;
    }

    /// <summary>The start of <paramref name="slot"/> in unix seconds: <c>genesis_time + slot * block_time</c>.</summary>
    /// <exception cref="OverflowException">The slot is so far away that its time does not fit in 64 bits.</exception>
    public long SlotTimestamp(ulong slot) =>
        TryGetSlotTimestamp(slot, out var timestamp) ? timestamp : throw new OverflowException($"Slot {slot} is beyond any representable time.");

    /// <summary>The federation member scheduled to produce <paramref name="slot"/>.</summary>
    public PublicKey ProducerOf(ulong slot) => _federation[(int)(slot % (ulong)_federation.Length)];

    /// <summary>Position of <paramref name="key"/> in the sorted federation, or -1 when it is not a member.</summary>
    public int IndexOf(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Array.BinarySearch(_federation, key) is var index and >= 0 ? index : -1;
    }

    /// <summary>True when <paramref name="key"/> is a federation member.</summary>
    public bool IsMember(PublicKey key) => IndexOf(key) >= 0;

    /// <summary>The first slot at or after <paramref name="fromSlot"/> that <paramref name="key"/> produces, or null
    /// when the key is not a member (or no such slot fits in 64 bits).</summary>
    public ulong? NextSlotFor(PublicKey key, ulong fromSlot)
    {
        int index = IndexOf(key);
        if (index < 0)
            return null;
        ulong n = (ulong)_federation.Length;
        ulong offset = ((ulong)index + n - fromSlot % n) % n;
        return fromSlot > ulong.MaxValue - offset ? null : fromSlot + offset;
    }

    internal static PublicKey[] Canonicalize(IEnumerable<PublicKey> keys)
    {
        var set = new SortedSet<PublicKey>();
        foreach (var key in keys)
            set.Add(key ?? throw new ArgumentException("The federation contains a null key.", nameof(keys)));
        var result = new PublicKey[set.Count];
        set.CopyTo(result);
        return result;
    }
}
