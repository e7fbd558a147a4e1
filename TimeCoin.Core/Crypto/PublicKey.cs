using NSec.Cryptography;

namespace TimeCoin.Core.Crypto;

/// <summary>
/// An Ed25519 public key: the identity of a node and of a masternode. Ordered byte-wise so that every node
/// sorts a set of keys the same way (canonical masternode and federation lists).
/// </summary>
public sealed class PublicKey : IEquatable<PublicKey>, IComparable<PublicKey>
{
    /// <summary>Length of a public key in bytes.</summary>
    public const int Size = 32;

    /// <summary>Length of an Ed25519 signature in bytes.</summary>
    public const int SignatureSize = 64;

    private readonly byte[] _bytes;
    private readonly int _hash;
    private NSec.Cryptography.PublicKey? _imported;
    private bool _invalid;

    /// <summary>Creates a key from its 32 raw bytes (not checked to be a curve point until first used).</summary>
    /// <exception cref="ArgumentException">Not 32 bytes.</exception>
    public PublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"An Ed25519 public key is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        _bytes = bytes.ToArray();
        var hc = new HashCode();
        hc.AddBytes(_bytes);
        _hash = hc.ToHashCode();
    }

    /// <summary>The 32 raw bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The 32 raw bytes as a new array.</summary>
    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>
    /// True when <paramref name="signature"/> is a valid Ed25519 signature of <paramref name="data"/> by this key.
    /// A key that is not a valid curve point, or a signature of the wrong length, verifies nothing.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
            return false;
        var key = Imported();
        return key is not null && SignatureAlgorithm.Ed25519.Verify(key, data, signature);
    }

    private NSec.Cryptography.PublicKey? Imported()
    {
        if (_imported is not null || _invalid)
            return _imported;
        if (NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, _bytes, KeyBlobFormat.RawPublicKey, out var key))
            _imported = key;
        else
            _invalid = true;
        return _imported;
    }

    /// <summary>Parses 64 hexadecimal characters.</summary>
    /// <exception cref="FormatException">Not 64 hex characters.</exception>
    public static PublicKey Parse(string hex)
    {
        if (!TryParse(hex, out var key))
            throw new FormatException($"'{hex}' is not a 64-character hexadecimal Ed25519 public key.");
        return key;
    }

    /// <summary>Parses 64 hexadecimal characters; false when the text is not a key.</summary>
    public static bool TryParse(string? hex, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PublicKey? key)
    {
        key = null;
        if (hex is null || hex.Length != Size * 2)
            return false;
        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
            return false;
        key = new PublicKey(bytes);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(PublicKey? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PublicKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <inheritdoc />
    public int CompareTo(PublicKey? other) => other is null ? 1 : _bytes.AsSpan().SequenceCompareTo(other._bytes);

    /// <summary>Lowercase hexadecimal, 64 characters.</summary>
    public override string ToString() => Convert.ToHexStringLower(_bytes);

    /// <summary>The first 8 bytes in hex, for logs.</summary>
    public string ToShortString() => Convert.ToHexStringLower(_bytes.AsSpan(0, 8));

    /// <summary>Equality by bytes.</summary>
    public static bool operator ==(PublicKey? left, PublicKey? right) => left is null ? right is null : left.Equals(right);
    /// <summary>Inequality by bytes.</summary>
    public static bool operator !=(PublicKey? left, PublicKey? right) => !(left == right);
}
