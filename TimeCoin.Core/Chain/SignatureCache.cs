using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// Remembers block-header signatures that verified, so the same signature checked twice (the header during sync,
/// then the block when it is added) costs one Ed25519 verification (Bitcoin Core keeps a signature cache for the
/// same reason). Thread-safe and bounded: the oldest entries leave first.
/// </summary>
/// <remarks>
/// An entry is the exact bytes checked: the signed bytes, the 64-byte signature and the signer's 32-byte key, one
/// after the other (signature and key have fixed sizes at the end, so equal entries mean an equal triple). A look-up
/// compares them for equality, so it is exactly as safe as keeping a cryptographic hash of them (safer: no collision
/// at all), and it costs a copy and a compare instead of a SHA-256 (a call into OpenSSL per look-up, whose fixed cost
/// was most of it). The set's bucket hash is <see cref="HashCode"/> (seeded at random per process) over the signature's
/// 64 bytes, which differ between any two valid signatures. The block hash alone would not do as a key: it does not
/// cover the signature, so a header with the same hash and a forged signature must not pass because a valid one was
/// seen. Only successful verifications are remembered. One cache per chain: nodes that share a process (the devnet,
/// benchmarks) do not share verifications, except in the whole-network simulation, which hands every node one cache
/// for its chain and its masternode registry (a node's CPU takes no virtual time there, so sharing changes no
/// outcome, only the wall time).
/// </remarks>
internal sealed class SignatureCache
{
    /// <summary>
    /// Default number of remembered signatures (a heartbeat's or a header's entry is about 250 bytes with its array,
    /// so about 25 MB when full).
    /// </summary>
    public const int DefaultCapacity = 100_000;

    /// <summary>Bytes an entry adds to the signed bytes: the signature and the signer's key.</summary>
    private const int Suffix = PublicKey.SignatureSize + PublicKey.Size;

    /// <summary>Entries up to this size are built on the stack for a look-up.</summary>
    private const int StackEntryLimit = 512;

    private readonly HashSet<byte[]> _verified = new(EntryComparer.Instance);
    private readonly HashSet<byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Queue<byte[]> _order = new();
    private readonly Lock _gate = new();
    private long _hits;
    private long _verifications;

    /// <summary>Creates an empty cache holding at most <paramref name="capacity"/> signatures.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity below 1.</exception>
    public SignatureCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _lookup = _verified.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Most signatures remembered at once.</summary>
    public int Capacity { get; }

    /// <summary>Signatures remembered now.</summary>
    public int Count
    {
        get { lock (_gate) return _verified.Count; }
    }

    /// <summary>Checks answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Ed25519 verifications actually performed.</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    /// <summary>True when <paramref name="header"/> carries <paramref name="signer"/>'s valid signature.</summary>
    public bool Verify(BlockHeader header, PublicKey signer)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(signer);
        int length = BlockHeader.SigningLength + Suffix;
        Span<byte> entry = length <= StackEntryLimit ? stackalloc byte[length] : new byte[length];
        header.WriteSigningBytes(entry);
        header.Signature.CopyTo(entry[BlockHeader.SigningLength..]);
        signer.Bytes.CopyTo(entry[(BlockHeader.SigningLength + PublicKey.SignatureSize)..]);
        if (IsRemembered(entry))
            return true;
        Interlocked.Increment(ref _verifications);
        if (!header.IsSignedBy(signer))
            return false;
        Remember(entry);
        return true;
    }

    /// <summary>
    /// True when <paramref name="signature"/> is <paramref name="signer"/>'s valid signature over
    /// <paramref name="signedBytes"/> (a masternode heartbeat or announcement, say); remembered like a header's.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> signedBytes, ReadOnlySpan<byte> signature, PublicKey signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (signature.Length != PublicKey.SignatureSize)
            return false;
        int length = signedBytes.Length + Suffix;
        Span<byte> entry = length <= StackEntryLimit ? stackalloc byte[length] : new byte[length];
        signedBytes.CopyTo(entry);
        signature.CopyTo(entry[signedBytes.Length..]);
        signer.Bytes.CopyTo(entry[(signedBytes.Length + PublicKey.SignatureSize)..]);
        if (IsRemembered(entry))
            return true;
        Interlocked.Increment(ref _verifications);
        if (!signer.Verify(signedBytes, signature))
            return false;
        Remember(entry);
        return true;
    }

    private bool IsRemembered(ReadOnlySpan<byte> entry)
    {
        lock (_gate)
        {
            if (!_lookup.Contains(entry))
                return false;
            _hits++;
            return true;
        }
    }

    private void Remember(ReadOnlySpan<byte> entry)
    {
        lock (_gate)
        {
            if (_lookup.Contains(entry))
                return;
            var stored = entry.ToArray();
            _verified.Add(stored);
            _order.Enqueue(stored);
            while (_order.Count > Capacity)
                _verified.Remove(_order.Dequeue());
        }
    }

    /// <summary>
    /// Entries are equal when their bytes are; the bucket hash covers the signature (the 64 bytes before the key at the
    /// end), which is enough to spread valid signatures and cheap to compute. Look-ups go by a span (no array per look-up).
    /// </summary>
    private sealed class EntryComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly EntryComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] entry) => Hash(entry);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> entry)
        {
            var hash = new HashCode();
            hash.AddBytes(entry.Length >= Suffix ? entry.Slice(entry.Length - Suffix, PublicKey.SignatureSize) : entry);
            return hash.ToHashCode();
        }
    }
}
