using TimeCoin.Core.Chain;

namespace TimeCoin.Core.Tests.Chain;

public class ChainStateTipsTests
{
    private static readonly DateTimeOffset Now = TestNetwork.Later;

    [Fact]
    public void GetTips_OnlyGenesis_OneActiveTip()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);

        var tip = Assert.Single(chain.GetTips());
        Assert.Equal(new ChainTip(0, net.Genesis.Hash, 0, true), tip);
    }

    [Fact]
    public void GetTips_TwoSideBranches_ActiveFirstThenByHeightWithBranchLengths()
    {
        var net = new TestNetwork();
        var chain = new ChainState(net.Parameters);
        var main = net.Extend(net.Genesis, 5);
        foreach (var block in main)
            Assert.Equal(BlockAddStatus.Extended, chain.TryAdd(block, Now).Status);
        // A one-block branch off height 1, and a two-block branch off height 2.
        var shortBranch = net.Child(main[0].Header, slotStep: 7);
        var longBranch1 = net.Child(main[1].Header, slotStep: 9);
        var longBranch2 = net.Child(longBranch1.Header, slotStep: 1);
        foreach (var block in new[] { shortBranch, longBranch1, longBranch2 })
            Assert.Equal(BlockAddStatus.SideBranch, chain.TryAdd(block, Now).Status);

        var tips = chain.GetTips();

        Assert.Equal(
            [new ChainTip(5, main[4].Hash, 0, true), new ChainTip(4, longBranch2.Hash, 2, false), new ChainTip(2, shortBranch.Hash, 1, false)],
            tips);
    }
}
