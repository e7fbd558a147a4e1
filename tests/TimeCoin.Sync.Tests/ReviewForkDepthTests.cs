using Microsoft.Extensions.Time.Testing;

namespace TimeCoin.Sync.Tests;

/// <summary>
/// Review finding (session 9, rev-sync): the ordinary peer's depth limit (2,000) is checked once, when the ancestor
/// is found; our chain can grow while the branch is fetched, and the switch is decided on fork choice alone, so the
/// reorganisation it asks for disconnects more blocks than the limit.
/// </summary>
public class ReviewForkDepthTests
{
    [Fact]
    public void Switch_OurChainGrewDuringTheFetch_NeverDeeperThanTheDepthLimit()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        const long ancestor = 3_000;
        var ours = FakeChain.Create("a", ancestor + 2_000); // a fork exactly at the ordinary limit: allowed
        var peer = ours.Fork(ancestor, "b", ancestor + 2_100);
        var resolver = new ForkResolver("peer", false, ours, new ForkResolverOptions(), time);
        Assert.True(resolver.Start(peer.Height, peer.TipHash));

        bool grown = false;
        for (int guard = 0; guard < 10_000 && resolver.IsActive; guard++)
        {
            if (resolver.TakeHeaderRequest() is { } request)
                resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));
            if (!grown && resolver.State == ForkResolutionState.FetchingBranch)
            {
                grown = true;
                ours.Extend("a", 10); // blocks from other peers (or our own slots) connect meanwhile
            }
            foreach (var blocks in resolver.TakeBlockRequests(128))
                resolver.OnBlocksReceived(peer.Blocks(blocks));
            if (resolver.TakeValidationRequest() is not null)
                resolver.OnBranchValidated(true, null);
        }

        Assert.True(grown, "the resolution reached the branch fetch, where our chain grew");
        Assert.False(resolver.IsActive, "the resolution ended");
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        if (resolver.TakeSwitch() is { } decision)
            Assert.True(ours.Height - decision.AncestorHeight <= resolver.DepthLimit,
                $"switch disconnects {ours.Height - decision.AncestorHeight} blocks; the limit is {resolver.DepthLimit}");
    }
}
