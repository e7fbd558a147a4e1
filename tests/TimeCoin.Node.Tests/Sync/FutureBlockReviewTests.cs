using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// Review finding (session 9, rev-sync): a block refused only because its timestamp is ahead of our clock
/// (TooFarInFuture) goes to SyncPlanner.OnBlockInvalid like a forged one, so the honest peer that served it is
/// reported (ViolationKind.InvalidBlock, three reports ban), rests and loses its claim. A node whose clock is more
/// than the 15 s tolerance behind reports every peer for every fresh block. Bitcoin Core does not punish a
/// time-too-new block (it may be valid seconds later).
/// </summary>
public sealed class FutureBlockReviewTests : IAsyncLifetime
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
