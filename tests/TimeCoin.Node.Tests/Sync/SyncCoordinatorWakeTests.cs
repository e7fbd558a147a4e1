using NSubstitute;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// Every wake (<see cref="SyncCoordinator.RequestSync"/>, the timer, a connect or disconnect) is followed by a sync round,
/// however it falls against the loop. The clock is virtual and never advanced: the loop timer never fires, so every
/// round counted here was brought by a wake. (A block producer wakes the loop once per block; when a wake was lost, the
/// loop slept until some peer's data arrived, and a height liar went unreported: HostileLoadTests' four attacks.)
/// </summary>
public sealed class SyncCoordinatorWakeTests : IAsyncLifetime
{
    private readonly CoordinatorHarness _harness = new(new SyncCoordinatorOptions { MaxQueuedEvents = 4 });

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    private long Rounds => _harness.Coordinator.GetStatus().Rounds;

    private async Task StartAndWaitForFirstRound()
    {
        _harness.Coordinator.Start();
        await Eventually.AssertAsync(() => Rounds == 1, () => $"rounds {Rounds} after start");
    }

    /// <summary>
    /// A wake that comes after the loop woke and before it read the queued wake (here: from the peer's height, read while
    /// the loop applies the connect) is served by that round; the next wake still brings a round of its own. The loop
    /// used to clear its "wake queued" flag when it woke, not when it read the wake: the second wake set the flag and
    /// queued a wake the same drain read, the flag stayed set with nothing queued, and every later wake was skipped.
    /// </summary>
    [Fact]
    public async Task RequestSync_AfterAWakeArrivedWhileTheLoopDrained_StillBringsARound()
    {
        await StartAndWaitForFirstRound();
        int heightReads = 0;
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("p");
        peer.TipHash.Returns(_harness.Store.State.TipHash);
        peer.BestHeight.Returns(_ =>
        {
            if (Interlocked.Increment(ref heightReads) == 1)
                _harness.Coordinator.RequestSync(); // the first read is the loop applying the connect
            return 0L;
        });

        _harness.Coordinator.OnPeerConnected(peer);
        await Eventually.AssertAsync(() => Rounds == 2 && Volatile.Read(ref heightReads) >= 2, () => $"rounds {Rounds} after the connect");

        _harness.Coordinator.RequestSync();
        await Eventually.AssertAsync(() => Rounds == 3, () => $"rounds {Rounds}: the wake after the connect brought no round");
    }

    /// <summary>
    /// A wake that finds the data queue full is not lost: the loop runs a round after the queued data, even when the data
    /// itself gives a round nothing to do (announcements of a block we have).
    /// </summary>
    [Fact]
    public async Task RequestSync_WhileTheQueueIsFull_RoundRunsAfterTheQueuedData()
    {
        await StartAndWaitForFirstRound();
        var sendStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var peer = Substitute.For<IPeer>();
        peer.PeerId.Returns("p");
        peer.BestHeight.Returns(50L); // a tip we do not know: the round asks this peer for headers
        peer.TipHash.Returns(Hash256.DoubleSha256([1, 2, 3]));
        peer.SendAsync(Arg.Any<NetworkMessage>(), Arg.Any<CancellationToken>()).Returns(_ =>
        {
            sendStarted.TrySetResult();
            return new ValueTask<bool>(release.Task); // the round waits here until the test lets it go
        });
        _harness.Coordinator.OnPeerConnected(peer);
        await sendStarted.Task.WaitAsync(TimeSpan.FromSeconds(15));

        var genesis = _harness.Store.State.TipHash; // on our chain: an announcement of it needs no round
        for (int i = 0; i < 4; i++)
            Assert.True(_harness.Coordinator.OnBlockAnnouncedAsync(peer, genesis, 0).IsCompletedSuccessfully);
        Assert.Equal(4, _harness.Coordinator.QueuedEvents);
        _harness.Coordinator.RequestSync(); // the queue is full
        release.SetResult(true);

        await Eventually.AssertAsync(() => Rounds == 3, () => $"rounds {Rounds}: the wake that found the queue full brought no round");
    }
}
