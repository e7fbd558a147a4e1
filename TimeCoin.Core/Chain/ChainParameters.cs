using System.Buffers.Binary;
using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// Everything that defines a network's chain: name, magic, genesis time, block time, federation, consensus size
/// limits, and the local policy knobs (future tolerance, maximum reorg depth). Immutable and thread-safe.
/// <para>The genesis block is derived deterministically from the consensus fields (see <see cref="GenesisBlock"/>),
/// so two nodes agree on <see cref="GenesisHash"/> exactly when they agree on those fields. The local policy
/// knobs do not change the genesis hash.</para>
/// </summary>
public sealed class ChainParameters
{
    /// <summary>Magic of mainnet: ASCII "TIME".</summary>
    public const uint MainnetMagic = 0x54494D45;

    /// <summary>Magic of testnet: ASCII "TIMT".</summary>
    public const uint TestnetMagic = 0x54494D54;

    /// <summary>Magic of devnets: ASCII "TIMD".</summary>
    public const uint DevnetMagic = 0x54494D44;

    /// <summary>Default tolerance for a block timestamp ahead of the local clock, in seconds.</summary>
    public const int DefaultFutureToleranceSeconds = 15;

    /// <summary>
    /// Default maximum number of active-chain blocks a reorganization may disconnect: 10,000 (about 28 hours of 10 s
    /// blocks), the analysis' fork-search depth for whitelisted peers, so a network split for hours heals without an
    /// operator. Sync lets ordinary peers take a node through at most 2,000 of them (see the Sync fork resolver).
    /// </summary>
    public const int DefaultMaxReorgDepth = 10_000;

    /// <summary>Largest federation accepted.</summary>
    public const int MaxFederationSize = 1024;

    /// <summary>Longest network name accepted.</summary>
    public const int MaxNetworkNameLength = 32;

    /// <summary>Longest block time accepted (one day).</summary>
    public const int MaxBlockTimeSeconds = 86_400;

    private static ReadOnlySpan<byte> GenesisTag => "TIMECOIN-GENESIS-V1"u8;

    // Placeholder federations: generated once, private keys discarded. Replace when the real federation is published.
    private static readonly string[] MainnetFederationHex =
    [
        "31edecf3599d1187d36eb28ae245f1795caac5459db08ef1ce90a1e0cca1f0c9",
        "dab60379892b38e9b1985ca9d32854b96b3ad323fda3a58bbb636104de4c65d6",
        "2c66b81e8ef7aa5e7b96ce28cd67c8c514089292474c01d2c088e86e5b3b8a71",
        "6121d3b73a6cc7897ac82ad1750fbe5e2538454a5dc101df0b145d0c5d553809",
    ];

    private static readonly string[] TestnetFederationHex =
    [
        "fe1a39929f10b0da3db30fac7d19e23c218ef8f5d5eaacfa53356fd73034af5a",
        "f244f9485b3525eb2eb042996b3574941d86f25a0f9c44eb4bea093bb322359f",
        "8ae87e7e412645a74eddefd2c8101787ffd1a9acec0dee31102b228c28ba5d6b",
    ];

    private static readonly Lazy<ChainParameters> LazyMainnet = new(() => new ChainParameters(
        "mainnet", MainnetMagic, genesisTime: 1_767_225_600 /* 2026-01-01T00:00:00Z */, blockTimeSeconds: 10,
        MainnetFederationHex.Select(PublicKey.Parse)));

    private static readonly Lazy<ChainParameters> LazyTestnet = new(() => new ChainParameters(
        "testnet", TestnetMagic, genesisTime: 1_764_547_200 /* 2025-12-01T00:00:00Z */, blockTimeSeconds: 10,
        TestnetFederationHex.Select(PublicKey.Parse)));

    private static readonly Lazy<ChainParameters> LazyDevnet = new(() =>
    {
        using var key = CreateWellKnownDevnetKey();
        return CreateDevnet([key.PublicKey], genesisTime: 1_764_547_200);
    });

    private readonly Lazy<Block> _genesisBlock;

    /// <summary>Creates parameters for a network.</summary>
    /// <param name="networkName">1 to 32 characters of a-z, 0-9, '-', '_' or '.'.</param>
    /// <param name="networkMagic">The magic number carried in every header (and by the transport).</param>
    /// <param name="genesisTime">Unix seconds of slot 0 and of the genesis block.</param>
    /// <param name="blockTimeSeconds">Slot length in seconds (1 to 86400).</param>
    /// <param name="federation">Producer keys; sorted and deduplicated here (1 to 1024 distinct keys).</param>
    /// <param name="limits">Consensus size limits; <see cref="BlockLimits.Default"/> when null.</param>
    /// <param name="futureToleranceSeconds">How far ahead of the local clock a block timestamp may be (0 to 3600).</param>
    /// <param name="maxReorgDepth">Maximum active-chain blocks a reorg may disconnect (at least 1).</param>
    /// <exception cref="ArgumentException">A field is out of range; the message names it.</exception>
    public ChainParameters(string networkName, uint networkMagic, long genesisTime, int blockTimeSeconds,
        IEnumerable<PublicKey> federation, BlockLimits? limits = null,
        int futureToleranceSeconds = DefaultFutureToleranceSeconds, int maxReorgDepth = DefaultMaxReorgDepth)
    {
        ArgumentNullException.ThrowIfNull(networkName);
        ArgumentNullException.ThrowIfNull(federation);
        if (!IsValidNetworkName(networkName))
            throw new ArgumentException($"The network name '{networkName}' must be 1 to {MaxNetworkNameLength} characters of a-z, 0-9, '-', '_' or '.'.", nameof(networkName));
        if (blockTimeSeconds < 1 || blockTimeSeconds > MaxBlockTimeSeconds)
            throw new ArgumentOutOfRangeException(nameof(blockTimeSeconds), blockTimeSeconds, $"The block time must be 1 to {MaxBlockTimeSeconds} seconds.");
        if (genesisTime < 0)
            throw new ArgumentOutOfRangeException(nameof(genesisTime), genesisTime, "The genesis time must not be negative.");
        if (futureToleranceSeconds < 0 || futureToleranceSeconds > 3600)
            throw new ArgumentOutOfRangeException(nameof(futureToleranceSeconds), futureToleranceSeconds, "The future tolerance must be 0 to 3600 seconds.");
        if (maxReorgDepth < 1)
            throw new ArgumentOutOfRangeException(nameof(maxReorgDepth), maxReorgDepth, "The maximum reorg depth must be at least 1.");
        var schedule = new ProducerSchedule(genesisTime, blockTimeSeconds, federation);
        if (schedule.Federation.Count > MaxFederationSize)
            throw new ArgumentException($"The federation has {schedule.Federation.Count} keys, at most {MaxFederationSize} are allowed.", nameof(federation));

        NetworkName = networkName;
        NetworkMagic = networkMagic;
        GenesisTime = genesisTime;
        BlockTimeSeconds = blockTimeSeconds;
        Schedule = schedule;
        Limits = limits ?? BlockLimits.Default;
        FutureToleranceSeconds = futureToleranceSeconds;
        MaxReorgDepth = maxReorgDepth;

        int recordSize = GenesisTag.Length + 1 + networkName.Length + 4 + 8 + 4 + 4 + 4 + 4 + 2 + PublicKey.Size * schedule.Federation.Count;
        if (recordSize > Limits.MaxTransactionBytes || BlockCodec.EmptyBlockSize + BlockCodec.LengthPrefixSize + recordSize > Limits.MaxBlockBytes)
            throw new ArgumentException($"The genesis block ({recordSize} bytes of federation record) does not fit the block limits.", nameof(limits));
        _genesisBlock = new Lazy<Block>(BuildGenesisBlock);
    }

    /// <summary>The built-in mainnet (placeholder federation until the real one is published).</summary>
    public static ChainParameters Mainnet => LazyMainnet.Value;

    /// <summary>The built-in testnet (placeholder federation until the real one is published).</summary>
    public static ChainParameters Testnet => LazyTestnet.Value;

    /// <summary>The built-in devnet: one producer, <see cref="CreateWellKnownDevnetKey"/>, 1 s blocks. Devnet
    /// launchers normally use <see cref="CreateDevnet"/> with freshly generated keys instead.</summary>
    public static ChainParameters Devnet => LazyDevnet.Value;

    /// <summary>Names accepted by <see cref="ForNetwork"/>.</summary>
    public static IReadOnlyList<string> BuiltInNetworkNames { get; } = ["mainnet", "testnet", "devnet"];

    /// <summary>Network name.</summary>
    public string NetworkName { get; }

    /// <summary>Magic number carried in every header.</summary>
    public uint NetworkMagic { get; }

    /// <summary>Unix seconds of slot 0 (the genesis block's timestamp).</summary>
    public long GenesisTime { get; }

    /// <summary>Slot length in seconds.</summary>
    public int BlockTimeSeconds { get; }

    /// <summary>The federation, sorted byte-wise without duplicates.</summary>
    public IReadOnlyList<PublicKey> Federation => Schedule.Federation;

    /// <summary>The producer schedule of this network.</summary>
    public ProducerSchedule Schedule { get; }

    /// <summary>Consensus size limits.</summary>
    public BlockLimits Limits { get; }

    /// <summary>Local policy: how far a block timestamp may be ahead of the local clock, in seconds.</summary>
    public int FutureToleranceSeconds { get; }

    /// <summary>Local policy: the most active-chain blocks a reorganization may disconnect.</summary>
    public int MaxReorgDepth { get; }

    /// <summary>
    /// The genesis block: version 1, this network's magic, height 0, previous hash zero, slot 0, timestamp
    /// <see cref="GenesisTime"/>, producer = the slot-0 producer (first key of the sorted federation), an all-zero
    /// signature, and one payload item, the genesis record, which commits the hash to the network name, magic,
    /// genesis time, block time, limits and federation. It is never signature-checked: a node accepts exactly the
    /// block whose hash equals <see cref="GenesisHash"/>.
    /// </summary>
    public Block GenesisBlock => _genesisBlock.Value;

    /// <summary>Hash of <see cref="GenesisBlock"/>.</summary>
    public Hash256 GenesisHash => GenesisBlock.Hash;

    /// <summary>The genesis block's header.</summary>
    public BlockHeader GenesisHeader => GenesisBlock.Header;

    /// <summary>
    /// The tallest chain an honest peer can have at <paramref name="now"/>: every block takes a slot after its
    /// parent's and genesis is slot 0 at height 0, so no chain is taller than the number of slots since genesis
    /// (counting slots that start within <see cref="FutureToleranceSeconds"/>). A height a peer claims is bounded
    /// by it. A devnet's <c>generate</c> fills slots ahead of the wall clock on purpose, so a devnet has no bound
    /// (<see cref="long.MaxValue"/>).
    /// </summary>
    public long MaxPlausibleHeight(DateTimeOffset now)
    {
        if (NetworkMagic == DevnetMagic)
            return long.MaxValue;
        ulong slot = Schedule.SlotAt(now.ToUnixTimeSeconds() + FutureToleranceSeconds);
        return slot >= long.MaxValue ? long.MaxValue : (long)slot;
    }

    /// <summary>The built-in parameters for <paramref name="networkName"/> (mainnet, testnet, devnet; case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ChainParameters ForNetwork(string networkName) =>
        TryForNetwork(networkName, out var parameters)
            ? parameters
            : throw new ArgumentException($"Unknown network '{networkName}'; built-in networks are {string.Join(", ", BuiltInNetworkNames)}. Use a genesis file for a private network.", nameof(networkName));

    /// <summary>The built-in parameters for <paramref name="networkName"/>, or false when there are none.</summary>
    public static bool TryForNetwork(string? networkName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ChainParameters? parameters)
    {
        parameters = networkName?.ToLowerInvariant() switch
        {
            "mainnet" => Mainnet,
            "testnet" => Testnet,
            "devnet" => Devnet,
            _ => null,
        };
        return parameters is not null;
    }

    /// <summary>Parameters of a devnet with the given federation (typically freshly generated keys).</summary>
    public static ChainParameters CreateDevnet(IEnumerable<PublicKey> federation, long genesisTime, int blockTimeSeconds = 1) =>
        new("devnet", DevnetMagic, genesisTime, blockTimeSeconds, federation);

    /// <summary>The built-in devnet's producer key. Its private key is public knowledge: devnet only.</summary>
    public static KeyPair CreateWellKnownDevnetKey() =>
        KeyPair.FromPrivateKey(Hash256.Sha256("TimeCoin.Net well-known devnet key 0"u8).ToArray());

    /// <summary>A copy with another maximum reorg depth (the genesis hash is unchanged).</summary>
    public ChainParameters WithMaxReorgDepth(int maxReorgDepth) =>
        new(NetworkName, NetworkMagic, GenesisTime, BlockTimeSeconds, Federation, Limits, FutureToleranceSeconds, maxReorgDepth);

    /// <summary>A copy with another future tolerance (the genesis hash is unchanged).</summary>
    public ChainParameters WithFutureTolerance(int futureToleranceSeconds) =>
        new(NetworkName, NetworkMagic, GenesisTime, BlockTimeSeconds, Federation, Limits, futureToleranceSeconds, MaxReorgDepth);

    /// <summary>True for 1 to 32 characters of a-z, 0-9, '-', '_' or '.'.</summary>
    public static bool IsValidNetworkName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNetworkNameLength)
            return false;
        foreach (char c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{NetworkName} (magic 0x{NetworkMagic:x8}, genesis {GenesisHash})";

    private Block BuildGenesisBlock()
    {
        var record = new byte[GenesisTag.Length + 1 + NetworkName.Length + 4 + 8 + 4 + 4 + 4 + 4 + 2 + PublicKey.Size * Federation.Count];
        var span = record.AsSpan();
        GenesisTag.CopyTo(span);
        int offset = GenesisTag.Length;
        span[offset++] = (byte)NetworkName.Length;
        offset += Encoding.ASCII.GetBytes(NetworkName, span[offset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], NetworkMagic);
        offset += 4;
        BinaryPrimitives.WriteInt64LittleEndian(span[offset..], GenesisTime);
        offset += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], BlockTimeSeconds);
        offset += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], Limits.MaxBlockBytes);
        offset += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], Limits.MaxTransactions);
        offset += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[offset..], Limits.MaxTransactionBytes);
        offset += 4;
        BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)Federation.Count);
        offset += 2;
        foreach (var key in Federation)
        {
            key.Bytes.CopyTo(span[offset..]);
            offset += PublicKey.Size;
        }
        ReadOnlyMemory<byte>[] payload = [record];
        var header = new BlockHeader(BlockHeader.CurrentVersion, NetworkMagic, height: 0, Hash256.Zero,
            MerkleTree.ComputeRoot(payload), slot: 0, GenesisTime, Schedule.ProducerOf(0), new byte[PublicKey.SignatureSize]);
        return new Block(header, payload);
    }
}
