using System.Security.Cryptography;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// Merkle root of a block payload, RFC 6962 style:
/// <list type="bullet">
/// <item>leaf = SHA-256(0x00 ‖ item), inner node = SHA-256(0x01 ‖ left ‖ right): leaves and inner nodes live in
/// separate domains, so a 64-byte item can never be mistaken for an inner node;</item>
/// <item>an odd node at the end of a level is promoted unchanged to the next level (never duplicated as in
/// Bitcoin, whose duplication let two different payloads share a root, CVE-2012-2459). The result equals the
/// RFC 6962 Merkle Tree Hash;</item>
/// <item>an empty payload has the root <see cref="Hash256.Zero"/>.</item>
/// </list>
/// </summary>
internal static class MerkleTree
{
    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    /// <summary>Computes the root of <paramref name="items"/>.</summary>
    public static Hash256 ComputeRoot(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        int count = items.Count;
        if (count == 0)
            return Hash256.Zero;
        ReadOnlySpan<byte> leafPrefix = [LeafPrefix];
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var level = new byte[count * Hash256.Size];
        for (int i = 0; i < count; i++)
        {
            hasher.AppendData(leafPrefix);
            hasher.AppendData(items[i].Span);
            hasher.GetHashAndReset(level.AsSpan(i * Hash256.Size, Hash256.Size));
        }
        return Reduce(level, count);
    }

    /// <summary>Computes the root of <paramref name="items"/>.</summary>
    public static Hash256 ComputeRoot(IReadOnlyList<byte[]> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var memories = new ReadOnlyMemory<byte>[items.Count];
        for (int i = 0; i < memories.Length; i++)
            memories[i] = items[i];
        return ComputeRoot(memories);
    }

    private static Hash256 Reduce(byte[] level, int count)
    {
        Span<byte> node = stackalloc byte[1 + 2 * Hash256.Size];
        node[0] = NodePrefix;
        while (count > 1)
        {
            int next = 0;
            for (int i = 0; i + 1 < count; i += 2)
            {
                level.AsSpan(i * Hash256.Size, 2 * Hash256.Size).CopyTo(node[1..]);
                SHA256.HashData(node, level.AsSpan(next * Hash256.Size, Hash256.Size));
                next++;
            }
            if ((count & 1) == 1)
            {
                level.AsSpan((count - 1) * Hash256.Size, Hash256.Size).CopyTo(level.AsSpan(next * Hash256.Size));
                next++;
            }
            count = next;
        }
        return new Hash256(level.AsSpan(0, Hash256.Size));
    }
}
