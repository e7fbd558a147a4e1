using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class BlockValidatorTests
{
    private static readonly BlockLimits SmallLimits = new(maxBlockBytes: 2000, maxTransactions: 3, maxTransactionBytes: 600);
    private readonly TestNetwork _net = new(limits: SmallLimits);
    private readonly BlockValidator _validator;

    public BlockValidatorTests() => _validator = new BlockValidator(_net.Parameters);

    private static DateTimeOffset Later => TestNetwork.Later;

    /// <summary>A block on <paramref name="parent"/> at <paramref name="slot"/>, correct in every field not overridden, signed by the signer.</summary>
    private Block Build(BlockHeader parent, ulong slot, uint? version = null, uint? magic = null, long? height = null,
        Hash256? previous = null, long? timestamp = null, KeyPair? signer = null, byte[][]? transactions = null, Hash256? merkleRoot = null)
    {
        transactions ??= [[1, 2, 3]];
        signer ??= _net.ProducerOf(slot);
        var header = new BlockHeader(version ?? BlockHeader.CurrentVersion, magic ?? _net.Parameters.NetworkMagic,
            height ?? parent.Height + 1, previous ?? parent.Hash, merkleRoot ?? MerkleTree.ComputeRoot(transactions), slot,
            timestamp ?? _net.Parameters.Schedule.SlotTimestamp(slot), signer.PublicKey, new byte[64]).SignWith(signer);
        return new Block(header, transactions);
    }

    private void AssertRejected(BlockRejectionReason expected, Block block, BlockHeader? parent = null, DateTimeOffset? now = null)
    {
        var result = _validator.Validate(block, parent ?? _net.Genesis, now ?? Later);
        Assert.False(result.IsValid);
        Assert.Equal(expected, result.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    [Fact]
    public void Validate_CorrectBlock_IsValid()
    {
        var result = _validator.Validate(Build(_net.Genesis, 1), _net.Genesis, Later);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(BlockRejectionReason.None, result.Reason);
    }

    [Fact]
    public void Validate_FactoryBlockSkippingSlots_IsValid()
    {
        var block = _net.Child(_net.Genesis, slotStep: 5, [9]);

        Assert.True(_validator.Validate(block, _net.Genesis, Later).IsValid);
    }

    [Fact]
    public void Validate_OtherNetworkMagic_WrongNetwork() =>
        AssertRejected(BlockRejectionReason.WrongNetwork, Build(_net.Genesis, 1, magic: ChainParameters.MainnetMagic));

    [Fact]
    public void Validate_UnknownVersion_UnsupportedVersion() =>
        AssertRejected(BlockRejectionReason.UnsupportedVersion, Build(_net.Genesis, 1, version: 2));

    [Fact]
    public void Validate_PreviousHashNotParent_LinkMismatch() =>
        AssertRejected(BlockRejectionReason.LinkMismatch, Build(_net.Genesis, 1, previous: Hash256.Sha256([1])));

    [Fact]
    public void Validate_HeightSkips_WrongHeight() =>
        AssertRejected(BlockRejectionReason.WrongHeight, Build(_net.Genesis, 1, height: 2));

    [Fact]
    public void Validate_SlotEqualToParent_SlotNotIncreasing()
    {
        var parent = _net.Child(_net.Genesis, slotStep: 4).Header;

        AssertRejected(BlockRejectionReason.SlotNotIncreasing, Build(parent, parent.Slot), parent);
    }

    [Fact]
    public void Validate_SlotBeforeParent_SlotNotIncreasing()
    {
        var parent = _net.Child(_net.Genesis, slotStep: 4).Header;

        AssertRejected(BlockRejectionReason.SlotNotIncreasing, Build(parent, parent.Slot - 1), parent);
    }

    [Fact]
    public void Validate_TimestampOneSecondOff_TimestampMismatch() =>
        AssertRejected(BlockRejectionReason.TimestampMismatch,
            Build(_net.Genesis, 1, timestamp: _net.Parameters.Schedule.SlotTimestamp(1) + 1));

    [Fact]
    public void Validate_SlotBeyondTolerance_TooFarInFuture()
    {
        var block = Build(_net.Genesis, 10);
        var now = DateTimeOffset.FromUnixTimeSeconds(block.Header.Timestamp - _net.Parameters.FutureToleranceSeconds - 1);

        AssertRejected(BlockRejectionReason.TooFarInFuture, block, now: now);
    }

    [Fact]
    public void Validate_SlotExactlyAtTolerance_IsValid()
    {
        var block = Build(_net.Genesis, 10);
        var now = DateTimeOffset.FromUnixTimeSeconds(block.Header.Timestamp - _net.Parameters.FutureToleranceSeconds);

        Assert.True(_validator.Validate(block, _net.Genesis, now).IsValid);
    }

    [Fact]
    public void Validate_SignedByAnotherMember_WrongProducer() =>
        AssertRejected(BlockRejectionReason.WrongProducer, Build(_net.Genesis, 1, signer: _net.ProducerOf(2)));

    [Fact]
    public void Validate_SignedByOutsider_WrongProducer()
    {
        using var outsider = KeyPair.Generate();

        AssertRejected(BlockRejectionReason.WrongProducer, Build(_net.Genesis, 1, signer: outsider));
    }

    [Fact]
    public void Validate_MoreTransactionsThanLimit_TooManyTransactions() =>
        AssertRejected(BlockRejectionReason.TooManyTransactions, Build(_net.Genesis, 1, transactions: [[1], [2], [3], [4]]));

    [Fact]
    public void Validate_TransactionOverLimit_TransactionTooLarge() =>
        AssertRejected(BlockRejectionReason.TransactionTooLarge, Build(_net.Genesis, 1, transactions: [[1], new byte[601]]));

    [Fact]
    public void Validate_BlockOverLimit_TooLarge() =>
        AssertRejected(BlockRejectionReason.TooLarge, Build(_net.Genesis, 1, transactions: [new byte[600], new byte[600], new byte[600]]));

    [Fact]
    public void Validate_PayloadNotMatchingRoot_MerkleMismatch() =>
        AssertRejected(BlockRejectionReason.MerkleMismatch, Build(_net.Genesis, 1, merkleRoot: MerkleTree.ComputeRoot(new byte[][] { [7] })));

    [Fact]
    public void Validate_PayloadSwappedAfterSigning_MerkleMismatch()
    {
        var signed = Build(_net.Genesis, 1);
        var swapped = new Block(signed.Header, new byte[][] { [3, 2, 1] });

        AssertRejected(BlockRejectionReason.MerkleMismatch, swapped);
    }

    [Fact]
    public void Validate_SignatureBitFlipped_BadSignature()
    {
        var block = Build(_net.Genesis, 1);
        var signature = block.Header.Signature.ToArray();
        signature[10] ^= 0x01;

        AssertRejected(BlockRejectionReason.BadSignature, new Block(block.Header.WithSignature(signature), block.Transactions));
    }

    [Fact]
    public void Validate_SeveralFaults_CheapestRuleReported()
    {
        using var outsider = KeyPair.Generate();
        var block = Build(_net.Genesis, 1, magic: 1, signer: outsider, merkleRoot: Hash256.Zero);
        var unsigned = new Block(block.Header.WithSignature(new byte[64]), block.Transactions);

        AssertRejected(BlockRejectionReason.WrongNetwork, unsigned);
    }

    [Fact]
    public void ValidateWithoutParent_BadSignature_Rejected_ButParentRulesIgnored()
    {
        var good = Build(_net.Genesis, 3, height: 40, previous: Hash256.Sha256([5]));
        var signature = good.Header.Signature.ToArray();
        signature[0] ^= 0x80;
        var bad = new Block(good.Header.WithSignature(signature), good.Transactions);

        Assert.True(_validator.ValidateWithoutParent(good, Later).IsValid);
        Assert.Equal(BlockRejectionReason.BadSignature, _validator.ValidateWithoutParent(bad, Later).Reason);
    }
}
