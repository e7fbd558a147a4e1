namespace TimeCoin.Core.Chain;

/// <summary>
/// Consensus size bounds of a block. They are committed to by the genesis block, checked by
/// <see cref="BlockCodec"/> before any allocation and again by <see cref="BlockValidator"/>.
/// </summary>
public sealed record BlockLimits
{
    /// <summary>Default maximum encoded block size: 1 MiB.</summary>
    public const int DefaultMaxBlockBytes = 1024 * 1024;

    /// <summary>Default maximum number of transactions in a block.</summary>
    public const int DefaultMaxTransactions = 50_000;

    /// <summary>Default maximum size of one transaction: 256 KiB.</summary>
    public const int DefaultMaxTransactionBytes = 256 * 1024;

    /// <summary>Largest value accepted for <see cref="MaxBlockBytes"/> (64 MiB), whatever a genesis file says.</summary>
    public const int HardMaxBlockBytes = 64 * 1024 * 1024;

    /// <summary>The defaults used by the built-in networks.</summary>
    public static BlockLimits Default { get; } = new(DefaultMaxBlockBytes, DefaultMaxTransactions, DefaultMaxTransactionBytes);

    /// <summary>Creates limits.</summary>
    /// <param name="maxBlockBytes">Maximum encoded size of a whole block (header and payload), in bytes.</param>
    /// <param name="maxTransactions">Maximum number of payload items.</param>
    /// <param name="maxTransactionBytes">Maximum size of one payload item, in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive, a block could not hold one header,
    /// the block limit exceeds <see cref="HardMaxBlockBytes"/> or a transaction may be larger than a block.</exception>
    public BlockLimits(int maxBlockBytes, int maxTransactions, int maxTransactionBytes)
    {
        if (maxBlockBytes < BlockCodec.EmptyBlockSize || maxBlockBytes > HardMaxBlockBytes)
            throw new ArgumentOutOfRangeException(nameof(maxBlockBytes), maxBlockBytes,
                $"The maximum block size must be between {BlockCodec.EmptyBlockSize} and {HardMaxBlockBytes} bytes.");
        if (maxTransactions < 1)
            throw new ArgumentOutOfRangeException(nameof(maxTransactions), maxTransactions, "The maximum transaction count must be at least 1.");
        if (maxTransactionBytes < 1 || maxTransactionBytes > maxBlockBytes)
            throw new ArgumentOutOfRangeException(nameof(maxTransactionBytes), maxTransactionBytes,
                "The maximum transaction size must be at least 1 byte and no larger than the maximum block size.");
        MaxBlockBytes = maxBlockBytes;
        MaxTransactions = maxTransactions;
        MaxTransactionBytes = maxTransactionBytes;
    }

    /// <summary>Maximum encoded size of a whole block (header and payload), in bytes.</summary>
    public int MaxBlockBytes { get; }

    /// <summary>Maximum number of payload items in a block.</summary>
    public int MaxTransactions { get; }

    /// <summary>Maximum size of one payload item, in bytes.</summary>
    public int MaxTransactionBytes { get; }
}
