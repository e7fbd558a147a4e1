using System.Security.Cryptography;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.CrashHarness;

/// <summary>A devnet chain that is the same on every run: fixed key, fixed genesis time, one block per slot.</summary>
public sealed class DeterministicChain : IDisposable
{
    public const long GenesisTime = 1_700_000_000;

    public DeterministicChain(string seed)
    {
        Producer = KeyPair.FromPrivateKey(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
        Parameters = ChainParameters.CreateDevnet([Producer.PublicKey], GenesisTime, 1);
    }

    public KeyPair Producer { get; }

    public ChainParameters Parameters { get; }

    /// <summary>The block after <paramref name="parent"/>: slot = height, one 1 KiB transaction derived from the height.</summary>
    public Block Next(BlockHeader parent)
    {
        var tx = new byte[1024];
        BitConverter.TryWriteBytes(tx, parent.Height + 1);
        return BlockFactory.Create(Parameters, parent, (ulong)(parent.Height + 1), Producer, [tx]);
    }

    /// <summary>A validation clock at the block's own slot time, so any height is "now".</summary>
    public DateTimeOffset ClockFor(Block block) => DateTimeOffset.FromUnixTimeSeconds(block.Header.Timestamp);

    public void Dispose() => Producer.Dispose();
}
