using System.Threading.Channels;
using TimeCoin.Core.Chain;
using TimeCoin.Node.Production;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Production;

public sealed class BlockProducerTests : IDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private readonly TestFederation _federation = new();

    public void Dispose() => _federation.Dispose();

    [Fact]
    public async Task RunAsync_ThreeKeyFederation_ProducesExactlyItsOwnSlots()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        var handled = Channel.CreateUnbounded<ProductionResult>();
        var announced = new List<Block>();
        producer.SlotHandled += r => handled.Writer.TryWrite(r);
        producer.BlockProduced += announced.Add;
        using var cts = new CancellationTokenSource();
        var loop = producer.RunAsync(cts.Token);

        var results = new List<ProductionResult> { await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit) };
        for (int i = 0; i < 8; i++)
        {
            _federation.Clock.Advance(TimeSpan.FromSeconds(TestFederation.BlockTime));
            results.Add(await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit));
        }
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal(Enumerable.Range(10, 9).Select(s => (ulong)s), results.Select(r => r.Slot));
        Assert.All(results, r => Assert.Equal(r.Slot % 3 == 1 ? ProductionOutcome.Produced : ProductionOutcome.NotOurSlot, r.Outcome));
        Assert.Equal([10UL, 13UL, 16UL], announced.Select(b => b.Header.Slot));
        Assert.Equal(3, _federation.Chain.State.Height);
        Assert.All(announced, b => Assert.Equal(_federation.Keys[1].PublicKey, b.Header.Producer));
    }

    [Fact]
    public void TryProduceSlot_PeerAhead_DoesNotProduceUntilCaughtUp()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        _federation.Gate.BestPeerHeight = 5;
        _federation.SetClockToSlot(10);

        var result = producer.TryProduceSlot(10);

        Assert.Equal(ProductionOutcome.Behind, result.Outcome);
        Assert.Equal(0, _federation.Chain.State.Height);
    }

    [Fact]
    public void TryProduceSlot_NoPeers_DoesNotProduce()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        _federation.Gate.PeerCount = 0;
        _federation.SetClockToSlot(10);

        Assert.Equal(ProductionOutcome.NoPeers, producer.TryProduceSlot(10).Outcome);
        Assert.Equal(0, _federation.Chain.State.Height);
    }

    [Fact]
    public void TryProduceSlot_NoPeersOnSingleNodeDevnet_Produces()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        _federation.Gate.PeerCount = 0;
        _federation.Gate.IsSingleNodeDevnet = true;
        _federation.SetClockToSlot(10);

        var result = producer.TryProduceSlot(10);

        Assert.Equal(ProductionOutcome.Produced, result.Outcome);
        Assert.Equal(result.Block!.Hash, _federation.Chain.State.TipHash);
    }

    [Fact]
    public void TryProduceSlot_SameSlotTwice_ProducesOnlyOnce()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        var announced = new List<Block>();
        producer.BlockProduced += announced.Add;
        _federation.SetClockToSlot(10);

        var first = producer.TryProduceSlot(10);
        _federation.Clock.Advance(TimeSpan.FromSeconds(2));
        var second = producer.TryProduceSlot(10);

        Assert.Equal(ProductionOutcome.Produced, first.Outcome);
        Assert.Equal(ProductionOutcome.SlotTaken, second.Outcome);
        Assert.Single(announced);
        Assert.Equal(1, _federation.Chain.State.Height);
    }

    [Fact]
    public void TryProduceSlot_AfterRestartWithOwnBlockStored_DoesNotProduceItAgain()
    {
        _federation.SetClockToSlot(10);
        Assert.Equal(ProductionOutcome.Produced, _federation.Producer(_federation.Keys[1]).TryProduceSlot(10).Outcome);

        var restarted = _federation.Producer(_federation.Keys[1]);

        Assert.Equal(ProductionOutcome.SlotTaken, restarted.TryProduceSlot(10).Outcome);
        Assert.Equal(1, _federation.Chain.State.Height);
    }

    [Fact]
    public void TryProduceSlot_SlotStartedLongerAgoThanTolerance_IsSkippedAsStale()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        _federation.SetClockToSlot(10, extraSeconds: _federation.Parameters.FutureToleranceSeconds + 1);

        var result = producer.TryProduceSlot(10);

        Assert.Equal(ProductionOutcome.Stale, result.Outcome);
        Assert.Equal(0, _federation.Chain.State.Height);
    }

    [Fact]
    public void TryProduceSlot_SlotStartedWithinTolerance_Produces()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        _federation.SetClockToSlot(10, extraSeconds: _federation.Parameters.FutureToleranceSeconds);

        Assert.Equal(ProductionOutcome.Produced, producer.TryProduceSlot(10).Outcome);
    }

    [Fact]
    public async Task RunAsync_WokenLateForOwnSlot_SkipsItAsStaleAndMovesToTheCurrentSlot()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        var handled = Channel.CreateUnbounded<ProductionResult>();
        producer.SlotHandled += r => handled.Writer.TryWrite(r);
        using var cts = new CancellationTokenSource();
        _federation.SetClockToSlot(12);
        var loop = producer.RunAsync(cts.Token);
        Assert.Equal(12UL, (await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit)).Slot);

        // The process pauses: it wakes for slot 13 (ours) only 20 s after it started, beyond the 15 s tolerance.
        _federation.Clock.Advance(TimeSpan.FromSeconds(3 * TestFederation.BlockTime));
        var late = await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
        var next = await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal((13UL, ProductionOutcome.Stale), (late.Slot, late.Outcome));
        Assert.Equal((15UL, ProductionOutcome.NotOurSlot), (next.Slot, next.Outcome));
        Assert.Equal(0, _federation.Chain.State.Height);
    }

    [Fact]
    public async Task RunAsync_PausedOverOwnSlot_ProducesTheCurrentOwnSlotNotTheMissedOne()
    {
        var producer = _federation.Producer(_federation.Keys[1]);
        var handled = Channel.CreateUnbounded<ProductionResult>();
        producer.SlotHandled += r => handled.Writer.TryWrite(r);
        using var cts = new CancellationTokenSource();
        _federation.SetClockToSlot(11);
        var loop = producer.RunAsync(cts.Token);
        Assert.Equal(11UL, (await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit)).Slot);

        // Paused 55 s: slots 12 to 15 pass unseen (13 was ours); the loop wakes 5 s into slot 16, also ours.
        _federation.Clock.Advance(TimeSpan.FromSeconds(55));
        var first = await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
        var second = await handled.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal((12UL, ProductionOutcome.NotOurSlot), (first.Slot, first.Outcome));
        Assert.Equal((16UL, ProductionOutcome.Produced), (second.Slot, second.Outcome));
        Assert.Equal(16UL, _federation.Chain.State.Tip.Slot);
        Assert.Equal(1, _federation.Chain.State.Height);
    }

    [Fact]
    public void Generate_HoldingAllKeys_YieldsConsecutiveSlotsAFreshStoreAccepts()
    {
        var producer = _federation.Producer([.. _federation.Keys]);
        var announced = new List<Block>();
        producer.BlockProduced += announced.Add;

        var blocks = producer.Generate(60);

        Assert.Equal(60, blocks.Count);
        Assert.Equal(blocks, announced);
        Assert.Equal(60, _federation.Chain.State.Height);
        Assert.Equal(Enumerable.Range(10, 60).Select(s => (ulong)s), blocks.Select(b => b.Header.Slot));
        using var otherDir = new TempDirectory();
        using var otherDb = NodeDatabase.Open(otherDir.Path);
        var fresh = ChainStore.Open(otherDb, _federation.Parameters);
        foreach (var block in blocks)
        {
            var result = fresh.Add(block, ChainValidationClock.For(fresh.State, _federation.Clock.GetUtcNow()));
            Assert.Equal(BlockAddStatus.Extended, result.Status);
        }
        Assert.Equal(blocks[^1].Hash, fresh.State.TipHash);
    }

    [Fact]
    public void Generate_BlocksAheadOfWallClock_NeedTheDevnetValidationClock()
    {
        var producer = _federation.Producer([.. _federation.Keys]);
        var blocks = producer.Generate(20);
        using var otherDir = new TempDirectory();
        using var otherDb = NodeDatabase.Open(otherDir.Path);
        var fresh = ChainStore.Open(otherDb, _federation.Parameters);

        var strict = fresh.AddBatch(blocks, _federation.Clock.GetUtcNow());

        // Slot 10 is "now"; with 10 s slots, slot 12 is 20 s ahead, beyond the 15 s tolerance.
        Assert.Equal(BlockAddStatus.Extended, strict[1].Status);
        Assert.Equal(BlockRejectionReason.TooFarInFuture, strict[2].Reason);
    }

    [Fact]
    public void Generate_HoldingOneOfThreeKeys_FillsOnlyThatKeysSlots()
    {
        var producer = _federation.Producer(_federation.Keys[2]);

        var blocks = producer.Generate(4);

        Assert.Equal([11UL, 14UL, 17UL, 20UL], blocks.Select(b => b.Header.Slot));
        Assert.Equal(4, _federation.Chain.State.Height);
    }

    [Fact]
    public void Generate_ThenSlotLoopAtWallClock_DoesNotProduceBelowTheGeneratedTip()
    {
        var producer = _federation.Producer([.. _federation.Keys]);
        producer.Generate(5);

        var result = producer.TryProduceSlot(_federation.Parameters.Schedule.SlotAt(_federation.Clock.GetUtcNow()));

        Assert.Equal(ProductionOutcome.SlotTaken, result.Outcome);
        Assert.Equal(5, _federation.Chain.State.Height);
    }

    [Fact]
    public void Generate_NotDevnet_ThrowsSayingDevnetOnly()
    {
        using var testnetLike = new TestFederation(devnet: false);
        var producer = testnetLike.Producer([.. testnetLike.Keys]);

        var error = Assert.Throws<InvalidOperationException>(() => producer.Generate(1));

        Assert.Contains("only available on devnet", error.Message);
        Assert.Equal(0, testnetLike.Chain.State.Height);
    }

    [Fact]
    public void Generate_NoFederationKey_ThrowsNamingTheProblem()
    {
        using var outsider = Core.Crypto.KeyPair.Generate();
        var producer = _federation.Producer(outsider);

        var error = Assert.Throws<InvalidOperationException>(() => producer.Generate(1));

        Assert.Contains("federation key", error.Message);
        Assert.False(producer.IsFederationMember);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(BlockProducer.MaxGenerateCount + 1)]
    public void Generate_CountOutOfRange_Throws(int count)
    {
        var producer = _federation.Producer([.. _federation.Keys]);

        Assert.Throws<ArgumentOutOfRangeException>(() => producer.Generate(count));
    }

    [Fact]
    public void ChainValidationClock_NotDevnet_IsTheWallClock()
    {
        using var testnetLike = new TestFederation(devnet: false);
        var wall = DateTimeOffset.FromUnixTimeSeconds(TestFederation.GenesisTime - 1000);

        Assert.Equal(wall, ChainValidationClock.For(testnetLike.Chain.State, wall));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(TestFederation.GenesisTime), ChainValidationClock.For(_federation.Chain.State, wall));
    }
}
