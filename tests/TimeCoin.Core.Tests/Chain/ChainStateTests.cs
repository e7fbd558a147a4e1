using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class ChainStateTests
{
    private static readonly DateTimeOffset Now = TestNetwork.Later;

    private static List<BlockAddResult> AddAll(ChainState chain, IEnumerable<Block> blocks) =>
        blocks.Select(b => chain.TryAdd(b, Now)).ToList();

    private static ChainState ChainWith(TestNetwork net, int length, out List<Block> blocks)
    {
        var chain = new ChainState(net.Parameters);
        blocks = net.Extend(net.Genesis, length);
        Assert.All(AddAll(chain, blocks), r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        return chain;
    }

    [Fact]
    public void New_OnlyGenesis_TipIsGenesis()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);

        Assert.Equal(0, chain.Height);
        Assert.Equal(net.Parameters.GenesisHash, chain.TipHash);
        Assert.Equal(chain.GenesisHash, chain.GetHashAtHeight(0));
        Assert.Equal(1, chain.HeaderCount);
    }

    [Fact]
    public void TryAdd_ChildOfTip_ExtendsChain()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var block = net.Child(net.Genesis, 1, [1, 2]);

        var result = chain.TryAdd(block, Now);

        Assert.Equal(BlockAddStatus.Extended, result.Status);
        Assert.True(result.TipChanged);
        Assert.Equal([block.Header], result.Connected);
        Assert.Empty(result.Disconnected);
        Assert.Equal(1, chain.Height);
        Assert.Equal(block.Hash, chain.TipHash);
        Assert.True(chain.IsOnActiveChain(block.Hash));
    }

    [Fact]
    public void TryAdd_SameBlockTwice_AlreadyKnown()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var block = net.Child(net.Genesis);
        chain.TryAdd(block, Now);

        Assert.Equal(BlockAddStatus.AlreadyKnown, chain.TryAdd(block, Now).Status);
        Assert.Equal(BlockAddStatus.AlreadyKnown, chain.TryAdd(net.Parameters.GenesisBlock, Now).Status);
        Assert.Equal(1, chain.Height);
    }

    [Fact]
    public void TryAdd_InvalidBlock_RejectedWithReasonAndNotStored()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var block = BlockFactory.Create(net.Parameters, net.Genesis, 1, net.ProducerOf(2), []);

        var result = chain.TryAdd(block, Now);

        Assert.Equal(BlockAddStatus.Rejected, result.Status);
        Assert.Equal(BlockRejectionReason.WrongProducer, result.Reason);
        Assert.False(chain.Contains(block.Hash));
        Assert.Equal(0, chain.Height);
    }

    [Fact]
    public void TryAdd_ParentUnknown_OrphanNotStored_AcceptedOnceParentArrives()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var blocks = net.Extend(net.Genesis, 2);

        var orphan = chain.TryAdd(blocks[1], Now);
        Assert.Equal(BlockAddStatus.Orphan, orphan.Status);
        Assert.False(chain.Contains(blocks[1].Hash));

        Assert.Equal(BlockAddStatus.Extended, chain.TryAdd(blocks[0], Now).Status);
        Assert.Equal(BlockAddStatus.Extended, chain.TryAdd(blocks[1], Now).Status);
        Assert.Equal(2, chain.Height);
    }

    [Fact]
    public void TryAdd_OrphanWithBadSignature_Rejected()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var blocks = net.Extend(net.Genesis, 2);
        var forged = new Block(blocks[1].Header.WithSignature(new byte[64]), blocks[1].Transactions);

        var result = chain.TryAdd(forged, Now);

        Assert.Equal(BlockAddStatus.Rejected, result.Status);
        Assert.Equal(BlockRejectionReason.BadSignature, result.Reason);
    }

    [Fact]
    public void TryAdd_OtherNetworksGenesis_Rejected()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);

        var result = chain.TryAdd(ChainParameters.Devnet.GenesisBlock, Now);

        Assert.Equal(BlockAddStatus.Rejected, result.Status);
        Assert.Equal(BlockRejectionReason.LinkMismatch, result.Reason);
    }

    [Fact]
    public void TryAdd_ShorterBranch_KeptAsSideBranch()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 3, out var main);
        var side = net.Child(main[0].Header, slotStep: 5);

        var result = chain.TryAdd(side, Now);

        Assert.Equal(BlockAddStatus.SideBranch, result.Status);
        Assert.Equal(1, result.ForkHeight);
        Assert.True(chain.Contains(side.Hash));
        Assert.False(chain.IsOnActiveChain(side.Hash));
        Assert.Equal(main[2].Hash, chain.TipHash);
    }

    [Fact]
    public void TryAdd_LongerBranch_ReorganizesWithDisconnectedAndConnectedInOrder()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 3, out var main);
        var branch = net.Extend(main[0].Header, 3, firstSlotStep: 5);

        var results = AddAll(chain, branch);

        Assert.Equal(BlockAddStatus.SideBranch, results[0].Status);
        var reorg = results.Single(r => r.Status == BlockAddStatus.Reorganized);
        Assert.Equal(1, reorg.ForkHeight);
        Assert.Equal([main[2].Header, main[1].Header], reorg.Disconnected);
        Assert.Equal(reorg.Connected[^1], reorg.Header);
        Assert.Equal(reorg.Connected.Select(h => h.Height), Enumerable.Range(2, reorg.Connected.Count).Select(h => (long)h));
        Assert.Equal(branch[2].Hash, chain.TipHash);
        Assert.Equal(4, chain.Height);
        Assert.False(chain.IsOnActiveChain(main[2].Hash));
        Assert.True(chain.Contains(main[2].Hash));
        Assert.Equal(branch[0].Hash, chain.GetHashAtHeight(2));
        Assert.Equal(main[0].Hash, chain.GetHashAtHeight(1));
    }

    private static (Block Low, Block High) EqualHeightRivals(TestNetwork net)
    {
        var a = net.Child(net.Genesis, slotStep: 1);
        var b = net.Child(net.Genesis, slotStep: 2);
        return a.Hash < b.Hash ? (a, b) : (b, a);
    }

    [Fact]
    public void TryAdd_EqualHeightLowerHashSecond_Reorganizes()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var (low, high) = EqualHeightRivals(net);
        chain.TryAdd(high, Now);

        var result = chain.TryAdd(low, Now);

        Assert.Equal(BlockAddStatus.Reorganized, result.Status);
        Assert.Equal([high.Header], result.Disconnected);
        Assert.Equal([low.Header], result.Connected);
        Assert.Equal(low.Hash, chain.TipHash);
    }

    [Fact]
    public void TryAdd_EqualHeightHigherHashSecond_StaysOnSideBranch()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var (low, high) = EqualHeightRivals(net);
        chain.TryAdd(low, Now);

        var result = chain.TryAdd(high, Now);

        Assert.Equal(BlockAddStatus.SideBranch, result.Status);
        Assert.Equal(low.Hash, chain.TipHash);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    public void TryAdd_ReorgExactlyMaxDepth_Allowed(int maxDepth)
    {
        var net = new TestNetwork(maxReorgDepth: maxDepth);
        var chain = ChainWith(net, maxDepth + 2, out var main);
        var forkBlock = main[1].Header; // height 2: the tip is maxDepth blocks above it
        var branch = net.Extend(forkBlock, maxDepth + 1, firstSlotStep: 1000);

        var results = AddAll(chain, branch);

        Assert.DoesNotContain(results, r => r.Status == BlockAddStatus.Rejected);
        var reorg = results.Single(r => r.Status == BlockAddStatus.Reorganized);
        Assert.Equal(maxDepth, reorg.Disconnected.Count);
        Assert.Equal(2, reorg.ForkHeight);
        Assert.Equal(branch[^1].Hash, chain.TipHash);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    public void TryAdd_ReorgOneBeyondMaxDepth_Refused(int maxDepth)
    {
        var net = new TestNetwork(maxReorgDepth: maxDepth);
        var chain = ChainWith(net, maxDepth + 2, out var main);
        var tip = chain.TipHash;
        var forkBlock = main[0].Header; // height 1: the tip is maxDepth + 1 blocks above it
        var branch = net.Extend(forkBlock, maxDepth + 3, firstSlotStep: 1000);

        var first = chain.TryAdd(branch[0], Now);

        Assert.Equal(BlockAddStatus.Rejected, first.Status);
        Assert.Equal(BlockRejectionReason.ReorgTooDeep, first.Reason);
        Assert.Equal(1, first.ForkHeight);
        Assert.False(chain.Contains(branch[0].Hash));
        Assert.Equal(tip, chain.TipHash);
        Assert.All(AddAll(chain, branch.Skip(1)), r => Assert.Equal(BlockAddStatus.Orphan, r.Status));
        Assert.Equal(tip, chain.TipHash);
    }

    [Fact]
    public void TryAdd_SideBranchFallsBehindMaxDepth_FurtherBlocksRefused()
    {
        var net = new TestNetwork(maxReorgDepth: 3);
        var chain = ChainWith(net, 3, out var main);
        var side = net.Child(main[0].Header, slotStep: 1000);
        Assert.Equal(BlockAddStatus.SideBranch, chain.TryAdd(side, Now).Status);
        AddAll(chain, net.Extend(main[^1].Header, 2));

        var result = chain.TryAdd(net.Child(side.Header), Now);

        Assert.Equal(BlockRejectionReason.ReorgTooDeep, result.Reason);
    }

    [Fact]
    public void GetLocator_LongChain_TenDenseThenDoublingToGenesis()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 300, out _);

        var heights = chain.GetLocator().Select(h => chain.GetHeader(h)!.Height).ToList();

        Assert.Equal(Enumerable.Range(291, 10).Reverse().Select(h => (long)h), heights.Take(10));
        var gaps = heights.Zip(heights.Skip(1), (a, b) => a - b).ToList();
        Assert.Equal([2, 4, 8, 16, 32, 64, 128], gaps.Skip(9).Take(7));
        Assert.Equal(0, heights[^1]);
        Assert.Equal(heights.Count, heights.Distinct().Count());
        Assert.InRange(heights.Count, 10, 10 + 10);
    }

    [Fact]
    public void GetLocator_ShortChain_EveryHeightDownToGenesis()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 4, out _);

        Assert.Equal([4L, 3, 2, 1, 0], chain.GetLocator().Select(h => chain.GetHeader(h)!.Height));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void FindForkPoint_PeerForkedAtDepth_FindsCommonAncestorAndServesMissingHeaders(int depth)
    {
        var net = new TestNetwork(maxReorgDepth: 1000);
        var ours = ChainWith(net, 150, out var main);
        int forkHeight = 150 - depth;
        var peerBranch = net.Extend(main[forkHeight - 1].Header, depth + 5, firstSlotStep: 1000);
        var peer = ChainState.Load(net.Parameters, main.Take(forkHeight).Concat(peerBranch).Select(b => b.Header), peerBranch[^1].Hash);

        var forkPoint = ours.FindForkPoint(peer.GetLocator());

        Assert.True(ours.IsOnActiveChain(forkPoint));
        Assert.True(peer.IsOnActiveChain(forkPoint));
        var forkPointHeight = ours.GetHeader(forkPoint)!.Height;
        Assert.InRange(forkPointHeight, forkHeight - depth, forkHeight);
        if (depth == 1)
            Assert.Equal(main[forkHeight - 1].Hash, forkPoint);
        var served = ours.GetHeadersAfter(forkPoint, 2000);
        Assert.Equal(forkPointHeight + 1, served[0].Height);
        Assert.Equal(ours.TipHash, served[^1].Hash);
        Assert.Contains(served, h => h.Hash == main[forkHeight].Hash);
    }

    [Fact]
    public void FindForkPoint_NothingInCommon_ReturnsGenesis()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 3, out _);

        Assert.Equal(chain.GenesisHash, chain.FindForkPoint([Hash256.Sha256([1]), Hash256.Sha256([2])]));
    }

    [Fact]
    public void GetHeadersAfter_Max_LimitsCountInHeightOrder()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 10, out var main);

        var headers = chain.GetHeadersAfter(main[2].Hash, 4);

        Assert.Equal(main.Skip(3).Take(4).Select(b => b.Header), headers);
        Assert.Empty(chain.GetHeadersAfter(chain.TipHash, 4));
        Assert.Empty(chain.GetHeadersAfter(Hash256.Sha256([9]), 4));
    }

    [Fact]
    public void GetHeadersAfter_SideBranchHash_StartsAfterItsActiveAncestor()
    {
        var net = new TestNetwork();
        var chain = ChainWith(net, 5, out var main);
        var side = net.Child(main[1].Header, slotStep: 1000);
        chain.TryAdd(side, Now);

        var headers = chain.GetHeadersAfter(side.Hash, 100);

        Assert.Equal(main.Skip(2).Select(b => b.Header), headers);
    }

    [Fact]
    public void Load_StoredHeadersInAnyOrder_RestoresTipAndSideBranches()
    {
        var net = new TestNetwork();
        var original = ChainWith(net, 8, out var main);
        var side = net.Extend(main[3].Header, 2, firstSlotStep: 1000);
        AddAll(original, side);
        var stored = main.Concat(side).Select(b => b.Header).Append(net.Genesis).Reverse().ToList();

        var loaded = ChainState.Load(net.Parameters, stored, original.TipHash);

        Assert.Equal(original.TipHash, loaded.TipHash);
        Assert.Equal(8, loaded.Height);
        Assert.Equal(original.HeaderCount, loaded.HeaderCount);
        Assert.True(loaded.Contains(side[1].Hash));
        Assert.False(loaded.IsOnActiveChain(side[1].Hash));
        Assert.Equal(original.GetLocator(), loaded.GetLocator());
        Assert.Equal(BlockAddStatus.Extended, loaded.TryAdd(net.Child(main[^1].Header), Now).Status);
    }

    [Fact]
    public void Load_TipOnStoredSideBranch_ThatBranchIsActive()
    {
        var net = new TestNetwork();
        var main = net.Extend(net.Genesis, 4);
        var side = net.Extend(main[0].Header, 2, firstSlotStep: 1000);

        var loaded = ChainState.Load(net.Parameters, main.Concat(side).Select(b => b.Header), side[^1].Hash);

        Assert.Equal(3, loaded.Height);
        Assert.True(loaded.IsOnActiveChain(side[0].Hash));
        Assert.False(loaded.IsOnActiveChain(main[1].Hash));
    }

    [Fact]
    public void TryLoad_MissingParent_ErrorNamesHeader()
    {
        var net = new TestNetwork();
        var main = net.Extend(net.Genesis, 4);

        Assert.False(ChainState.TryLoad(net.Parameters, main.Where((_, i) => i != 1).Select(b => b.Header), main[^1].Hash, out var state, out var error));
        Assert.Null(state);
        Assert.Contains("unknown parent", error);
        Assert.Contains(main[2].Hash.ToString()[..16], error);
    }

    [Fact]
    public void TryLoad_UnknownTip_Fails()
    {
        var net = new TestNetwork();
        var main = net.Extend(net.Genesis, 2);

        Assert.False(ChainState.TryLoad(net.Parameters, main.Select(b => b.Header), Hash256.Sha256([1]), out _, out var error));
        Assert.Contains("tip", error);
        Assert.Throws<InvalidDataException>(() => ChainState.Load(net.Parameters, [], Hash256.Sha256([1])));
    }

    [Fact]
    public void TryLoad_OtherNetworksHeaders_Fails()
    {
        var net = new TestNetwork();
        var other = ChainParameters.Devnet;
        using var devKey = ChainParameters.CreateWellKnownDevnetKey();
        var foreign = BlockFactory.Create(other, other.GenesisHeader, 1, devKey, []);

        Assert.False(ChainState.TryLoad(net.Parameters, [foreign.Header], foreign.Hash, out _, out var error));
        Assert.Contains("network magic", error);
    }

    [Fact]
    public void TryAdd_ConcurrentCallers_EndOnSameTipWithEveryBlockOnce()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var blocks = net.Extend(net.Genesis, 60);
        var extended = 0;

        Parallel.For(0, 4, _ =>
        {
            foreach (var block in blocks)
            {
                if (chain.TryAdd(block, Now).Status == BlockAddStatus.Extended)
                    Interlocked.Increment(ref extended);
            }
        });

        Assert.Equal(60, extended);
        Assert.Equal(blocks[^1].Hash, chain.TipHash);
        Assert.Equal(61, chain.HeaderCount);
    }
}
