using System.Buffers.Binary;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// Remembers block-header signatures that verified, so the same signature checked twice (the header during sync,
/// then the block when it is added) costs one Ed25519 verification (Bitcoin Core keeps a signature cache for the
/// same reason). Thread-safe and bounded: the oldest entries leave first.
/// </summary>
/// <remarks>
/// An entry is SHA-256 over the header's signing bytes, the signature and the signer's key. The block hash alone
/// would not do: it does not cover the signature, so a header with the same hash and a forged signature must not
/// pass because a valid one was seen. Only successful verifications are remembered. One cache per chain: nodes that
/// share a process (the devnet, benchmarks) do not share verifications, except in the whole-network simulation,
/// which hands every node one cache for its chain and its masternode registry (a node's CPU takes no virtual time
/// there, so sharing changes no outcome, only the wall time).
/// </remarks>
internal sealed class SignatureCache
{
    /// <summary>Default number of remembered signatures (about 3.2 MB of entries plus index).</summary>
    public const int DefaultCapacity = 100_000;

    private readonly HashSet<Hash256> _verified = [];
    private readonly Queue<Hash256> _order = new();
    private readonly Lock _gate = new();
    private long _hits;
    private long _verifications;

    /// <summary>Creates an empty cache holding at most <paramref name="capacity"/> signatures.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity below 1.</exception>
    public SignatureCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
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
        var entry = EntryFor(header, signer);
        lock (_gate)
        {
            if (_verified.Contains(entry))
            {
                _hits++;
                return true;
            }
        }
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
        int length = signedBytes.Length + PublicKey.SignatureSize + PublicKey.Size;
        Span<byte> buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        signedBytes.CopyTo(buffer);
        signature.CopyTo(buffer[signedBytes.Length..]);
        signer.Bytes.CopyTo(buffer[(signedBytes.Length + PublicKey.SignatureSize)..]);
        var entry = Hash256.Sha256(buffer);
        lock (_gate)
        {
            if (_verified.Contains(entry))
            {
                _hits++;
                return true;
            }
        }
        Interlocked.Increment(ref _verifications);
        if (!signer.Verify(signedBytes, signature))
            return false;
        Remember(entry);
        return true;
    }

    private void Remember(Hash256 entry)
    {
        lock (_gate)
        {
            if (_verified.Add(entry))
            {
                _order.Enqueue(entry);
                while (_order.Count > Capacity)
                    _verified.Remove(_order.Dequeue());
            }
        }
    }

    private static Hash256 EntryFor(BlockHeader header, PublicKey signer) => header.SignatureCacheKey(signer);

    /// <summary>SHA-256 over the header's signing bytes, its signature and <paramref name="signer"/>'s key.</summary>
    internal static Hash256 ComputeEntry(BlockHeader header, PublicKey signer)
    {
        var signing = header.SigningBytes();
        int length = signing.Length + PublicKey.SignatureSize + PublicKey.Size;
        Span<byte> buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        signing.CopyTo(buffer);
        header.Signature.CopyTo(buffer[signing.Length..]);
        signer.Bytes.CopyTo(buffer[(signing.Length + PublicKey.SignatureSize)..]);
        return Hash256.Sha256(buffer);
    }
}
