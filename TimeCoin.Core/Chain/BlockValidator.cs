namespace TimeCoin.Core.Chain;

/// <summary>
/// Checks a block against its parent and the network's rules. Checks run cheapest first and the Ed25519
/// signature last: network and version, link/height/slot against the parent, timestamp and schedule, size
/// limits, merkle root, signature. Stateless and thread-safe.
/// </summary>
public sealed class BlockValidator
{
    private readonly ChainParameters _parameters;
    private readonly SignatureCache _signatures;

    /// <summary>Creates a validator for one network.</summary>
    public BlockValidator(ChainParameters parameters) : this(parameters, new SignatureCache())
    {
    }

    /// <summary>Creates a validator that checks signatures through <paramref name="signatures"/> (shared with the
    /// chain's other signature checks, so a signature already verified is not verified again).</summary>
    internal BlockValidator(ChainParameters parameters, SignatureCache signatures)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signatures);
        _parameters = parameters;
        _signatures = signatures;
    }

    /// <summary>Validates <paramref name="block"/> as the child of <paramref name="parent"/> at local time <paramref name="now"/>.</summary>
    public BlockValidationResult Validate(Block block, BlockHeader parent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parent);
        var header = block.Header;
        var result = CheckNetworkAndVersion(header);
        if (!result.IsValid)
            return result;
        if (header.PreviousHash != parent.Hash)
            return BlockValidationResult.Reject(BlockRejectionReason.LinkMismatch,
                $"Previous hash {header.PreviousHash} is not the parent's hash {parent.Hash}.");
        if (header.Height != parent.Height + 1)
            return BlockValidationResult.Reject(BlockRejectionReason.WrongHeight,
                $"Height {header.Height} is not parent height {parent.Height} + 1.");
        if (header.Slot <= parent.Slot)
            return BlockValidationResult.Reject(BlockRejectionReason.SlotNotIncreasing,
                $"Slot {header.Slot} is not after the parent's slot {parent.Slot}.");
        return CheckContextFree(block, now);
    }

    /// <summary>
    /// Validates every rule that does not need the parent (all but link, height and slot order): used for a block
    /// whose parent is not known yet, so that garbage is not chased.
    /// </summary>
    public BlockValidationResult ValidateWithoutParent(Block block, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(block);
        var result = CheckNetworkAndVersion(block.Header);
        return result.IsValid ? CheckContextFree(block, now) : result;
    }

    private BlockValidationResult CheckNetworkAndVersion(BlockHeader header)
    {
        if (header.NetworkMagic != _parameters.NetworkMagic)
            return BlockValidationResult.Reject(BlockRejectionReason.WrongNetwork,
                $"Network magic 0x{header.NetworkMagic:x8} is not {_parameters.NetworkName}'s 0x{_parameters.NetworkMagic:x8}.");
        if (header.Version != BlockHeader.CurrentVersion)
            return BlockValidationResult.Reject(BlockRejectionReason.UnsupportedVersion,
                $"Block version {header.Version} is not supported (this node knows version {BlockHeader.CurrentVersion}).");
        return BlockValidationResult.Valid;
    }

    private BlockValidationResult CheckContextFree(Block block, DateTimeOffset now)
    {
        var header = block.Header;
        var schedule = _parameters.Schedule;
        if (!schedule.TryGetSlotTimestamp(header.Slot, out long expectedTimestamp) || header.Timestamp != expectedTimestamp)
            return BlockValidationResult.Reject(BlockRejectionReason.TimestampMismatch,
                $"Timestamp {header.Timestamp} is not the start of slot {header.Slot}.");
        long latest = now.ToUnixTimeSeconds() + _parameters.FutureToleranceSeconds;
        if (header.Timestamp > latest)
            return BlockValidationResult.Reject(BlockRejectionReason.TooFarInFuture,
                $"Timestamp {header.Timestamp} is {header.Timestamp - now.ToUnixTimeSeconds()} s ahead of the local clock (tolerance {_parameters.FutureToleranceSeconds} s).");
        var expectedProducer = schedule.ProducerOf(header.Slot);
        if (header.Producer != expectedProducer)
            return BlockValidationResult.Reject(BlockRejectionReason.WrongProducer,
                $"Slot {header.Slot} belongs to {expectedProducer.ToShortString()}, not {header.Producer.ToShortString()}.");

        var limits = _parameters.Limits;
        var transactions = block.Transactions;
        if (transactions.Count > limits.MaxTransactions)
            return BlockValidationResult.Reject(BlockRejectionReason.TooManyTransactions,
                $"{transactions.Count} transactions, the limit is {limits.MaxTransactions}.");
        for (int i = 0; i < transactions.Count; i++)
        {
            if (transactions[i].Length > limits.MaxTransactionBytes)
                return BlockValidationResult.Reject(BlockRejectionReason.TransactionTooLarge,
                    $"Transaction {i} is {transactions[i].Length} bytes, the limit is {limits.MaxTransactionBytes}.");
        }
        if (block.EncodedSize > limits.MaxBlockBytes)
            return BlockValidationResult.Reject(BlockRejectionReason.TooLarge,
                $"The block is {block.EncodedSize} bytes, the limit is {limits.MaxBlockBytes}.");

        var root = block.PayloadMerkleRoot;
        if (root != header.MerkleRoot)
            return BlockValidationResult.Reject(BlockRejectionReason.MerkleMismatch,
                $"Merkle root {header.MerkleRoot} does not match the payload's {root}.");
        if (!_signatures.Verify(header, expectedProducer))
            return BlockValidationResult.Reject(BlockRejectionReason.BadSignature,
                $"The signature does not verify with producer {header.Producer.ToShortString()}.");
        return BlockValidationResult.Valid;
    }
}
