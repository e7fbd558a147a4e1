using TimeCoin.Core.Chain;
using TimeCoin.Node.CrashHarness;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Tests.Storage;

public class ChainStoreTests
{
    [Fact]
    public void Open_FreshDatabase_StoresGenesisAsHeightZero()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("genesis");
        using var db = NodeDatabase.Open(dir.Path);
        var store = ChainStore.Open(db, chain.Parameters);
        Assert.Equal(0, store.State.Height);
        Assert.Equal(chain.Parameters.GenesisHash, db.GetActiveHash(0));
    }

    [Fact]
    public void Open_OtherNetworksDatabase_FailsNamingBothGeneses()
    {
        using var dir = new TempDirectory();
        using var a = new DeterministicChain("a");
        using var b = new DeterministicChain("b");
        using var db = NodeDatabase.Open(dir.Path);
        ChainStore.Open(db, a.Parameters);
        var ex = Assert.Throws<InvalidDataException>(() => ChainStore.Open(db, b.Parameters));
        Assert.Contains(b.Parameters.GenesisHash.ToString(), ex.Message);
    }

    [Fact]
    public void AddBatch_ValidBlocks_AreDurableAcrossReopen()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("durable");
        var blocks = new List<Block>();
        using (var db = NodeDatabase.Open(dir.Path))
        {
            var store = ChainStore.Open(db, chain.Parameters);
            var parent = store.State.Tip;
            for (int i = 0; i < 50; i++)
            {
                var block = chain.Next(parent);
                blocks.Add(block);
                parent = block.Header;
            }
            var results = store.AddBatch(blocks, chain.ClockFor(blocks[^1]));
            Assert.All(results, r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        }
        using var reopened = NodeDatabase.Open(dir.Path);
        var again = ChainStore.Open(reopened, chain.Parameters);
        Assert.Equal(50, again.State.Height);
        Assert.Equal(blocks[^1].Hash, again.State.TipHash);
        Assert.Equal(BlockCodec.Encode(blocks[10]), again.GetEncodedBlock(blocks[10].Hash));
    }

    [Fact]
    public void Add_InvalidBlock_IsRejectedAndNotStored()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("invalid");
        using var other = new DeterministicChain("someone-else");
        using var db = NodeDatabase.Open(dir.Path);
        var store = ChainStore.Open(db, chain.Parameters);
        // Signed by a key that is not the slot's producer.
        var forged = BlockFactory.Create(chain.Parameters, store.State.Tip, 1, other.Producer, [new byte[8]]);
        var result = store.Add(forged, chain.ClockFor(forged));
        Assert.Equal(BlockAddStatus.Rejected, result.Status);
        Assert.Equal(BlockRejectionReason.WrongProducer, result.Reason);
        Assert.False(db.HasBlock(forged.Hash));
        Assert.Equal(0, store.State.Height);
    }

    [Fact]
    public void AddBatch_BetterBranch_ReorganizesOnDiskInOneMove()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("reorg");
        using var db = NodeDatabase.Open(dir.Path);
        var store = ChainStore.Open(db, chain.Parameters);
        var genesis = store.State.Tip;

        var a1 = chain.Next(genesis);
        var a2 = chain.Next(a1.Header);
        store.AddBatch([a1, a2], chain.ClockFor(a2));

        // A competing branch from genesis that skips slot 1 and is one block longer.
        var b1 = BlockFactory.Create(chain.Parameters, genesis, 2, chain.Producer, [new byte[1]]);
        var b2 = BlockFactory.Create(chain.Parameters, b1.Header, 3, chain.Producer, [new byte[2]]);
        var b3 = BlockFactory.Create(chain.Parameters, b2.Header, 4, chain.Producer, [new byte[3]]);
        var results = store.AddBatch([b1, b2, b3], chain.ClockFor(b3));

        Assert.Equal(BlockAddStatus.Reorganized, results[^1].Status);
        Assert.Equal([genesis.Hash, b1.Hash, b2.Hash, b3.Hash], db.LoadActiveChain());
        Assert.True(db.HasBlock(a2.Hash));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AddBatch_OneBadSignature_RejectsThatBlockNamingItAndStoresOnlyTheBlocksBefore(int parallelism)
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("bad-signature");
        var blocks = new List<Block>();
        IReadOnlyList<BlockAddResult> results;
        using (var db = NodeDatabase.Open(dir.Path))
        {
            var store = ChainStore.Open(db, chain.Parameters, new ChainStoreOptions { VerificationParallelism = parallelism });
            var parent = store.State.Tip;
            for (int i = 0; i < 60; i++)
            {
                var block = chain.Next(parent);
                blocks.Add(block);
                parent = block.Header;
            }
            var bad = blocks[23];
            blocks[23] = new Block(bad.Header.WithSignature(new byte[64]), bad.Transactions);
            results = store.AddBatch(blocks, chain.ClockFor(blocks[^1]));
        }

        Assert.Equal(60, results.Count);
        Assert.All(results.Take(23), r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        Assert.Equal(BlockAddStatus.Rejected, results[23].Status);
        Assert.Equal(BlockRejectionReason.BadSignature, results[23].Reason);
        Assert.Equal(blocks[23].Hash, results[23].Header.Hash);
        Assert.All(results.Skip(24), r => Assert.Equal(BlockAddStatus.Orphan, r.Status));
        using var reopened = NodeDatabase.Open(dir.Path);
        var again = ChainStore.Open(reopened, chain.Parameters);
        Assert.Equal(23, again.State.Height);
        Assert.Equal(blocks[22].Hash, again.State.TipHash);
        Assert.False(reopened.HasBlock(blocks[23].Hash));
        Assert.Equal(24, reopened.CountBlocks()); // genesis and the 23 good blocks
    }

    [Fact]
    public void AddBatch_ParallelVerification_VerifiesEachSignatureOnce()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("parallel-once");
        using var db = NodeDatabase.Open(dir.Path);
        var store = ChainStore.Open(db, chain.Parameters, new ChainStoreOptions { VerificationParallelism = 3 });
        var blocks = new List<Block>();
        var parent = store.State.Tip;
        for (int i = 0; i < 30; i++)
        {
            var block = chain.Next(parent);
            blocks.Add(block);
            parent = block.Header;
        }
        var results = store.AddBatch(blocks, chain.ClockFor(blocks[^1]));
        Assert.All(results, r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        Assert.Equal(30, store.State.SignatureCache.Verifications);
        Assert.Equal(30, store.State.SignatureCache.Hits); // the sequential TryAdd found each one verified
    }

    [Fact]
    public void Options_ParallelismBelowOne_IsRefusedNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ChainStoreOptions { VerificationParallelism = 0 }.Validate());
        Assert.Contains(nameof(ChainStoreOptions.VerificationParallelism), ex.Message);
    }
}
