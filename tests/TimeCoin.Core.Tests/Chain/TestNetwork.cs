using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

/// <summary>A small federation with known private keys, and helpers to grow chains on it.</summary>
internal sealed class TestNetwork
{
    public const long GenesisTime = 1_700_000_000;

    public TestNetwork(int members = 3, int blockTimeSeconds = 10, int maxReorgDepth = ChainParameters.DefaultMaxReorgDepth, BlockLimits? limits = null)
    {
        Keys = Enumerable.Range(0, members)
            .Select(i => KeyPair.FromPrivateKey(Hash256.Sha256(System.Text.Encoding.ASCII.GetBytes($"test key {i}")).ToArray()))
            .OrderBy(k => k.PublicKey)
            .ToArray();
        Parameters = new ChainParameters("testchain", 0x54455354, GenesisTime, blockTimeSeconds, Keys.Select(k => k.PublicKey),
            limits, maxReorgDepth: maxReorgDepth);
    }

    /// <summary>Keys in canonical (federation) order.</summary>
    public KeyPair[] Keys { get; }

    public ChainParameters Parameters { get; }

    public BlockHeader Genesis => Parameters.GenesisHeader;

    /// <summary>A time at which every slot used by the tests is in the past.</summary>
    public static DateTimeOffset Later => DateTimeOffset.FromUnixTimeSeconds(GenesisTime + 100_000_000);

    public KeyPair ProducerOf(ulong slot) => Keys[(int)(slot % (ulong)Keys.Length)];

    public Block Child(BlockHeader parent, ulong slotStep = 1, params byte[][] transactions) =>
        BlockFactory.Create(Parameters, parent, parent.Slot + slotStep, ProducerOf(parent.Slot + slotStep), transactions);

    /// <summary><paramref name="count"/> consecutive blocks on <paramref name="parent"/>; the first uses <paramref name="firstSlotStep"/>.</summary>
    public List<Block> Extend(BlockHeader parent, int count, ulong firstSlotStep = 1)
    {
        var blocks = new List<Block>(count);
        for (int i = 0; i < count; i++)
        {
            var block = Child(parent, i == 0 ? firstSlotStep : 1);
            blocks.Add(block);
            parent = block.Header;
        }
        return blocks;
    }
}
