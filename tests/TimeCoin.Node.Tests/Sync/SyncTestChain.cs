using System.Security.Cryptography;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// A deterministic devnet for sync tests: one producer key from a fixed seed, 1 s slots, and blocks whose payload
/// carries a branch tag so two halves of a partition build different chains from the same parent.
/// </summary>
public sealed class SyncTestChain : IDisposable
{
    public const long GenesisTime = 1_700_000_000;

    public SyncTestChain(string seed = "sync-tests")
    {
        Producer = KeyPair.FromPrivateKey(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
        Parameters = ChainParameters.CreateDevnet([Producer.PublicKey], GenesisTime, 1);
    }

    public KeyPair Producer { get; }

    public ChainParameters Parameters { get; }

    /// <summary>A clock far enough ahead that every block of these tests is in the past.</summary>
    public static DateTimeOffset Clock => DateTimeOffset.FromUnixTimeSeconds(GenesisTime + 1_000_000);

    /// <summary>The child of <paramref name="parent"/> at slot = height, with one 1 KiB transaction tagged by <paramref name="branch"/>.</summary>
    public Block Next(BlockHeader parent, string branch = "main")
    {
        var tx = new byte[1024];
        BitConverter.TryWriteBytes(tx, parent.Height + 1);
        System.Text.Encoding.UTF8.GetBytes(branch, tx.AsSpan(8));
        return BlockFactory.Create(Parameters, parent, (ulong)(parent.Height + 1), Producer, [tx]);
    }

    /// <summary><paramref name="count"/> blocks on top of <paramref name="parent"/>.</summary>
    public List<Block> Build(BlockHeader parent, int count, string branch = "main")
    {
        var blocks = new List<Block>(count);
        for (int i = 0; i < count; i++)
        {
            var block = Next(parent, branch);
            blocks.Add(block);
            parent = block.Header;
        }
        return blocks;
    }

    public void Dispose() => Producer.Dispose();
}
