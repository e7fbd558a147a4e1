using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Network.Protocol;
using TimeCoin.Sync;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// A block refused only because it is ahead of our clock (TooFarInFuture) is not the sender's fault: it stays
/// buffered and connects once our clock accepts it, without being requested again and without a report.
/// </summary>
public sealed class FutureBlockTests : IAsyncLifetime
{
    private readonly SyncTestChain _chain = new();
    private readonly List<TestNode> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        _chain.Dispose();
    }

    [Fact]
    public async Task CatchUp_BlockAheadOfOurClock_ConnectsWhenOurClockAcceptsItWithoutAskingAgain()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 5);
        // Slot 40 starts 30 s after our clock; with the 15 s tolerance our clock accepts it 15 s from now.
        var ahead = BlockFactory.Create(_chain.Parameters, blocks[^1].Header, 40, _chain.Producer, []);
        var peer = new TestNode("peer", _chain, new FakeTimeProvider(SyncTestChain.Clock));
        _nodes.Add(peer);
        peer.Start().Load([.. blocks, ahead]);
        var slowTime = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SyncTestChain.GenesisTime + 10));
        var slow = new TestNode("slow clock", _chain, slowTime);
        _nodes.Add(slow);
        slow.Start();

        var (atSlow, _) = TestNode.Link(slow, peer);
        await Eventually.AssertAsync(() => slow.Height == 5 && slow.Coordinator.GetStatus().LastError?.Contains("TooFarInFuture") == true,
            () => $"height {slow.Height}, last error {slow.Coordinator.GetStatus().LastError}");
        int blockRequests = atSlow.Sent.GetValueOrDefault(MessageType.GetBlocks);
        Assert.Contains(slow.Log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("ahead of our clock"));

        // One second short of acceptable: rounds run, the block still waits.
        long rounds = slow.Coordinator.GetStatus().Rounds;
        slowTime.Advance(TimeSpan.FromSeconds(14));
        await Eventually.AssertAsync(() => slow.Coordinator.GetStatus().Rounds > rounds, () => "no round after the clock moved");
        Assert.Equal(5, slow.Height);

        slowTime.Advance(TimeSpan.FromSeconds(1));
        await Eventually.AssertAsync(() => slow.Height == 6, () => $"height {slow.Height}, last error {slow.Coordinator.GetStatus().LastError}");
        Assert.Equal(ahead.Hash, slow.TipHash);
        Assert.Equal(blockRequests, atSlow.Sent.GetValueOrDefault(MessageType.GetBlocks)); // kept, not fetched again
        Assert.True(slow.Violations.IsEmpty, "reported: " + string.Join("; ", slow.Violations.Select(v => $"{v.Kind}: {v.Detail}")));
    }

    [Fact]
    public async Task ForkBranch_BlockAheadOfOurClock_PeerNotReportedAndTheSwitchIsRetriedLater()
    {
        var common = _chain.Build(_chain.Parameters.GenesisHeader, 3);
        var ours = _chain.Build(common[^1].Header, 2, "ours");
        var theirs = _chain.Build(common[^1].Header, 2, "theirs");
        // The branch block that makes theirs longer is for slot 40: 30 s ahead of our clock.
        var ahead = BlockFactory.Create(_chain.Parameters, theirs[^1].Header, 40, _chain.Producer, []);
        var peer = new TestNode("peer", _chain, new FakeTimeProvider(SyncTestChain.Clock));
        _nodes.Add(peer);
        peer.Start().Load([.. common, .. theirs, ahead]);
        var slowTime = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SyncTestChain.GenesisTime + 10));
        var slow = new TestNode("slow clock", _chain, slowTime);
        _nodes.Add(slow);
        slow.Start().Load([.. common, .. ours]);

        TestNode.Link(slow, peer);
        await Eventually.AssertAsync(() => slow.Coordinator.GetStatus().ForkResolutions.Any(f => f.State == ForkResolutionState.GaveUp
                && f.LastError?.Contains("TooFarInFuture") == true),
            () => $"forks: {string.Join("; ", slow.Coordinator.GetStatus().ForkResolutions)}");
        Assert.Equal(ours[^1].Hash, slow.TipHash);
        Assert.True(slow.Violations.IsEmpty, "reported: " + string.Join("; ", slow.Violations.Select(v => $"{v.Kind}: {v.Detail}")));

        // After the give-up timeout our clock accepts the block: the resolution runs again and switches.
        var retryAt = slow.Coordinator.GetStatus().ForkResolutions.Single().RetryAllowedAt!.Value;
        slowTime.Advance(retryAt - slowTime.GetUtcNow() + TimeSpan.FromSeconds(1));
        await Eventually.AssertAsync(() => slow.TipHash == ahead.Hash,
            () => $"height {slow.Height}, forks: {string.Join("; ", slow.Coordinator.GetStatus().ForkResolutions)}");
        Assert.True(slow.Violations.IsEmpty, "reported: " + string.Join("; ", slow.Violations.Select(v => $"{v.Kind}: {v.Detail}")));
    }

    [Fact]
    public async Task CatchUp_BlockFurtherAheadThanAnyHonestClock_RefusedAndReportedAsBefore()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 5);
        // Slot 200 starts 190 s after our clock: our clock would accept it only in 175 s, beyond the 120 s we wait.
        var farAhead = BlockFactory.Create(_chain.Parameters, blocks[^1].Header, 200, _chain.Producer, []);
        var peer = new TestNode("peer", _chain, new FakeTimeProvider(SyncTestChain.Clock));
        _nodes.Add(peer);
        peer.Start().Load([.. blocks, farAhead]);
        var slow = new TestNode("slow clock", _chain, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SyncTestChain.GenesisTime + 10)));
        _nodes.Add(slow);
        slow.Start();

        TestNode.Link(slow, peer);

        await Eventually.AssertAsync(() => slow.Violations.Any(v => v.Kind == Core.Policy.ViolationKind.InvalidBlock && v.Detail.Contains("TooFarInFuture")),
            () => $"height {slow.Height}, last error {slow.Coordinator.GetStatus().LastError}");
        Assert.Equal(5, slow.Height);
    }

    /// <summary>
    /// Review finding (rev-sync): a block refused only as TooFarInFuture went to SyncPlanner.OnBlockInvalid like a
    /// forged one, so the honest peer that served it was reported (three reports ban), rested and lost its claim.
    /// </summary>
    [Fact]
    public async Task CatchUp_BlockAheadOfOurClock_ServingPeerNotReported()
    {
        var blocks = _chain.Build(_chain.Parameters.GenesisHeader, 5);
        // The next block's slot starts 30 s after our clock (below); the peer's clock is far later.
        var ahead = BlockFactory.Create(_chain.Parameters, blocks[^1].Header, 40, _chain.Producer, []);
        var peer = new TestNode("peer", _chain, new FakeTimeProvider(SyncTestChain.Clock));
        _nodes.Add(peer);
        peer.Start().Load([.. blocks, ahead]);
        var slow = new TestNode("slow clock", _chain, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(SyncTestChain.GenesisTime + 10)));
        _nodes.Add(slow);
        slow.Start();

        TestNode.Link(slow, peer);

        await Eventually.AssertAsync(() => slow.Height == 5 && slow.Coordinator.GetStatus().LastError?.Contains("TooFarInFuture") == true,
            () => $"height {slow.Height}, last error {slow.Coordinator.GetStatus().LastError}");
        Assert.True(slow.Violations.IsEmpty, "reported: " + string.Join("; ", slow.Violations.Select(v => $"{v.Kind}: {v.Detail}")));
    }
}
