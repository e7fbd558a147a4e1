using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TimeCoin.Core.Crypto;

/// <summary>
/// A 32-byte hash value (block hashes, merkle roots, checksums). Equality and ordering follow the bytes
/// in order, so <see cref="CompareTo"/> is the lexicographic order that fork-choice tie breaks use.
/// </summary>
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>
{
    /// <summary>Length of a hash in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    /// <summary>The all-zero hash (the previous hash of a genesis block, the merkle root of an empty payload).</summary>
    public static Hash256 Zero => default;

    /// <summary>Creates a hash from exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 32 bytes long.</exception>
    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException($"A hash is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>True for the all-zero hash.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>SHA-256 applied twice (SHA-256d) over <paramref name="data"/>.</summary>
    public static Hash256 DoubleSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> first = stackalloc byte[Size];
        SHA256.HashData(data, first);
        Span<byte> second = stackalloc byte[Size];
        SHA256.HashData(first, second);
        return new Hash256(second);
    }

    /// <summary>Single SHA-256 over <paramref name="data"/>.</summary>
    public static Hash256 Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Size];
        SHA256.HashData(data, digest);
        return new Hash256(digest);
    }

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException($"Need {Size} bytes of room.", nameof(destination));
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses 64 hexadecimal characters.</summary>
    /// <exception cref="FormatException">Not 64 hex characters.</exception>
    public static Hash256 Parse(string hex)
    {
        if (!TryParse(hex, out var hash))
            throw new FormatException($"'{hex}' is not a 64-character hexadecimal hash.");
        return hash;
    }

    /// <summary>Parses 64 hexadecimal characters; false when the text is not a hash.</summary>
    public static bool TryParse(string? hex, out Hash256 hash)
    {
        hash = default;
        if (hex is null || hex.Length != Size * 2)
            return false;
        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
            return false;
        hash = new Hash256(bytes);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(Hash256 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hash256 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <inheritdoc />
    public int CompareTo(Hash256 other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Lowercase hexadecimal, 64 characters.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);
    /// <summary>Inequality.</summary>
    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);
    /// <summary>Byte-wise ordering.</summary>
    public static bool operator <(Hash256 left, Hash256 right) => left.CompareTo(right) < 0;
    /// <summary>Byte-wise ordering.</summary>
    public static bool operator >(Hash256 left, Hash256 right) => left.CompareTo(right) > 0;
    /// <summary>Byte-wise ordering.</summary>
    public static bool operator <=(Hash256 left, Hash256 right) => left.CompareTo(right) <= 0;
    /// <summary>Byte-wise ordering.</summary>
    public static bool operator >=(Hash256 left, Hash256 right) => left.CompareTo(right) >= 0;
}
