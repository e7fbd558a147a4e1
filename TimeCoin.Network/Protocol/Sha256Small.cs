using System.Buffers.Binary;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// SHA-256 (FIPS 180-4) in managed code, for the frame checksum's short inputs only: a payload of at most
/// <see cref="MaxInput"/> bytes (one 64-byte block once padded: pings, pongs, block announcements, about three
/// quarters of all frames) and the 32-byte digest that the checksum's second pass hashes. The platform's SHA-256 is a
/// call into OpenSSL, and for an input this short its fixed cost per call (entering native code, clearing OpenSSL's
/// error queue, finalising and resetting the digest context) was more than the hashing; one block here takes less.
/// Longer inputs stay with the platform. Not for secrets (no constant-time claim is needed for a public checksum).
/// </summary>
internal static class Sha256Small
{
    /// <summary>Longest input hashed here: it and its padding (a 0x80 byte and the 8-byte length) fill one block.</summary>
    public const int MaxInput = 55;

    private static ReadOnlySpan<uint> RoundConstants =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>Writes the SHA-256 of <paramref name="input"/> (at most <see cref="MaxInput"/> bytes) into <paramref name="digest"/> (32 bytes; it may overlap the input).</summary>
    /// <exception cref="ArgumentException">The input is too long or the destination too short.</exception>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> digest)
    {
        if (input.Length > MaxInput)
            throw new ArgumentException($"At most {MaxInput} bytes are hashed here.", nameof(input));
        if (digest.Length < 32)
            throw new ArgumentException("A SHA-256 digest needs 32 bytes.", nameof(digest));

        // The one padded block: the input, 0x80, zeros, the input's length in bits (big-endian).
        Span<byte> block = stackalloc byte[64];
        block.Clear();
        input.CopyTo(block);
        block[input.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(block[56..], (ulong)input.Length * 8);

        Span<uint> w = stackalloc uint[64];
        for (int i = 0; i < 16; i++)
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block.Slice(i * 4, 4));
        for (int i = 16; i < 64; i++)
        {
            uint x = w[i - 15], y = w[i - 2];
            uint s0 = uint.RotateRight(x, 7) ^ uint.RotateRight(x, 18) ^ (x >> 3);
            uint s1 = uint.RotateRight(y, 17) ^ uint.RotateRight(y, 19) ^ (y >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }

        const uint h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
        const uint h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
        uint a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
        var k = RoundConstants;
        for (int i = 0; i < 64; i++)
        {
            uint t1 = h + (uint.RotateRight(e, 6) ^ uint.RotateRight(e, 11) ^ uint.RotateRight(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            uint t2 = (uint.RotateRight(a, 2) ^ uint.RotateRight(a, 13) ^ uint.RotateRight(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        BinaryPrimitives.WriteUInt32BigEndian(digest, h0 + a);
        BinaryPrimitives.WriteUInt32BigEndian(digest[4..], h1 + b);
        BinaryPrimitives.WriteUInt32BigEndian(digest[8..], h2 + c);
        BinaryPrimitives.WriteUInt32BigEndian(digest[12..], h3 + d);
        BinaryPrimitives.WriteUInt32BigEndian(digest[16..], h4 + e);
        BinaryPrimitives.WriteUInt32BigEndian(digest[20..], h5 + f);
        BinaryPrimitives.WriteUInt32BigEndian(digest[24..], h6 + g);
        BinaryPrimitives.WriteUInt32BigEndian(digest[28..], h7 + h);
    }
}
