using Microsoft.Data.Sqlite;
using TimeCoin.Core.Chain;
using TimeCoin.Node.CrashHarness;
using TimeCoin.Node.Production;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Production;
using TimeCoin.Node.Tests.Sync;
using static TimeCoin.Node.Tests.Storage.BlockInsertFaults;

namespace TimeCoin.Node.Tests.Storage;

/// <summary>
/// A failed block write leaves memory and disk as they were (ChainStore.AddBatch puts the in-memory tree back), and
/// block production treats it as the sync loop does: it stops. The failure is injected with a trigger that aborts
/// inserts, as a full disk would.
/// </summary>
public sealed class StoreFailureRollbackTests
{
    private static List<Block> Branch(DeterministicChain chain, BlockHeader parent, ulong firstSlot, int count, byte tag)
    {
        var blocks = new List<Block>();
        for (int i = 0; i < count; i++)
        {
            var block = BlockFactory.Create(chain.Parameters, parent, firstSlot + (ulong)i, chain.Producer, [[tag, (byte)i]]);
            blocks.Add(block);
            parent = block.Header;
        }
        return blocks;
    }

    [Fact]
    public void AddBatch_StoreFailsAfterTheBatchReorganized_TreeAndTipAreAsBefore()
    {
        using var dir = new TempDirectory();
        using var chain = new DeterministicChain("rollback");
        using var db = NodeDatabase.Open(dir.Path);
        var store = ChainStore.Open(db, chain.Parameters);
        var genesis = store.State.Tip;
        var ours = Branch(chain, genesis, 1, 2, 1);
        Assert.All(store.AddBatch(ours, chain.ClockFor(ours[^1])), r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        var theirs = Branch(chain, genesis, 3, 4, 2);
        int headersBefore = store.State.HeaderCount;

        // Heights 1 to 3 go into the tree (height 3 reorganizes onto their branch); the insert of height 4 fails.
        FailInsertsFrom(db.DatabasePath, 4);
        Assert.ThrowsAny<SqliteException>(() => store.AddBatch(theirs, chain.ClockFor(theirs[^1])));

        Assert.Equal(ours[^1].Hash, store.State.TipHash);
        Assert.Equal(2, store.State.Height);
        Assert.Equal(ours[0].Hash, store.State.GetHashAtHeight(1));
        Assert.Equal(headersBefore, store.State.HeaderCount);
        Assert.All(theirs, b => Assert.False(store.State.Contains(b.Hash)));

        // Healed, the same batch goes in whole, and what is stored reopens as the chain in memory.
        Heal(db.DatabasePath);
        var results = store.AddBatch(theirs, chain.ClockFor(theirs[^1]));
        Assert.DoesNotContain(results, r => r.Status is BlockAddStatus.AlreadyKnown or BlockAddStatus.Rejected);
        Assert.Equal(theirs[^1].Hash, store.State.TipHash);
        var reopened = ChainStore.Open(db, chain.Parameters);
        Assert.Equal(theirs[^1].Hash, reopened.State.TipHash);
        Assert.Equal(store.State.HeaderCount, reopened.State.HeaderCount);
    }

    [Fact]
    public async Task RunAsync_BlockWriteFails_LoopEndsWithTheStoreErrorAndLaterSlotsAreNotProduced()
    {
        using var federation = new TestFederation(keyCount: 1);
        var producer = federation.Producer(federation.Keys[0]);
        FailInsertsFrom(federation.Database.DatabasePath, 1);
        federation.SetClockToSlot(10);

        var loop = producer.RunAsync(CancellationToken.None); // the slot in progress is handled before the first wait
        Assert.True(loop.IsFaulted, "the slot loop went on after a failed block write");
        var error = await Assert.ThrowsAsync<ChainStoreFailedException>(() => loop);
        Assert.Contains("injected: disk full", error.Message);
        Assert.Equal(0, federation.Chain.State.Height);

        Heal(federation.Database.DatabasePath);
        federation.SetClockToSlot(11);
        Assert.Equal(ProductionOutcome.Failed, producer.TryProduceSlot(11).Outcome);
        Assert.Throws<InvalidOperationException>(() => producer.Generate(1));
        Assert.Equal(0, federation.Chain.State.Height);
    }

    [Fact]
    public async Task Generate_BlockWriteFails_TheWaitingSlotLoopEndsWithTheStoreError()
    {
        using var federation = new TestFederation(keyCount: 1);
        var producer = federation.Producer(federation.Keys[0]);
        federation.SetClockToSlot(10, 1);
        using var stop = new CancellationTokenSource();
        var loop = producer.RunAsync(stop.Token); // produces slot 10, then waits for slot 11
        Assert.Equal(1, federation.Chain.State.Height);
        Assert.False(loop.IsCompleted);

        FailInsertsFrom(federation.Database.DatabasePath, 2);
        Assert.ThrowsAny<Exception>(() => producer.Generate(3));

        await Eventually.AssertAsync(() => loop.IsCompleted, () => "the slot loop still waits for slot 11 after a failed block write");
        await Assert.ThrowsAsync<ChainStoreFailedException>(() => loop);
        Assert.Equal(1, federation.Chain.State.Height);
    }
}
