using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Production;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Tests.EndToEnd;
using TimeCoin.Node.Tests.Production;
using static TimeCoin.Node.Tests.Storage.BlockInsertFaults;

namespace TimeCoin.Node.Tests.Storage;

/// <summary>
/// Review findings (session 9, rev-sync): what a failed block write leaves behind. A transient store failure (disk
/// full, I/O error) is injected with a trigger that makes the insert of one height abort, then removed.
/// </summary>
public sealed class StoreFailureReviewTests
{
    /// <summary>
    /// The slot loop logs a failed Add and goes on (BlockProducer.RunAsync), but ChainStore.AddBatch leaves the block in
    /// the in-memory chain when its transaction fails. The next slot then builds on a block that is not on disk and
    /// commits it: the stored active chain has a gap and the node cannot start again.
    /// </summary>
    [Fact]
    public void TryProduceSlot_StoreFailsForOneSlot_StoreStillReopensAfterTheNextSlot()
    {
        using var federation = new TestFederation(keyCount: 1);
        var producer = federation.Producer(federation.Keys[0]);
        var path = federation.Database.DatabasePath;

        federation.SetClockToSlot(10);
        Assert.Equal(ProductionOutcome.Produced, producer.TryProduceSlot(10).Outcome);
        FailInsertsAt(path, 2);
        federation.SetClockToSlot(11);
        Assert.ThrowsAny<Exception>(() => producer.TryProduceSlot(11)); // RunAsync logs this and carries on
        Heal(path);
        federation.SetClockToSlot(12);
        try
        {
            producer.TryProduceSlot(12);
        }
        catch (InvalidOperationException)
        {
            // refusing to build on a chain the disk does not have is fine
        }

        // The store on disk must open as a consistent chain (what a restart does).
        federation.Database.Dispose();
        using var reopened = NodeDatabase.Open(Path.GetDirectoryName(path)!);
        var error = Record.Exception(() => ChainStore.Open(reopened, federation.Parameters));
        Assert.Null(error);
    }

    /// <summary>
    /// After a store failure the sync loop ends with ChainStoreFailedException and the node asks to stop; the stop
    /// (TimeNode.DisposeAsync) awaits SyncCoordinator.DisposeAsync, which rethrows the loop's exception, so everything
    /// after it is skipped: the registry's last save, the database close and the data directory lock.
    /// </summary>
    [Fact]
    public async Task NodeStop_AfterSyncStoreFailure_CompletesAndReleasesTheDataDirectory()
    {
        await using var cluster = new InMemoryNodeCluster(producers: 1);
        var (ahead, _) = await cluster.StartAsync(0, []);
        ahead.Producer.Generate(5);

        using var dir = new TempDirectory();
        using (var db = NodeDatabase.Open(dir.Path))
        {
            ChainStore.Open(db, cluster.Chain);
            FailAllInserts(db.DatabasePath);
        }
        var (behind, dataDir) = await cluster.StartAsync(1, ["10.0.0.1"], dataDir: dir.Path);

        await Eventually.True(() => behind.StopRequested.IsCompleted, TimeSpan.FromSeconds(30),
            () => $"the node did not stop after its store failed; height {behind.Chain.State.Height}");
        Assert.True(behind.Failed);

        var stopError = await Record.ExceptionAsync(() => cluster.StopAsync(behind));
        // The data directory is free again (an in-process host, such as the devnet, restarts the node on it).
        var reopenError = Record.Exception(() => NodeDatabase.Open(dataDir).Dispose());
        Assert.True(stopError is null && reopenError is null,
            $"stop threw {stopError?.GetType().Name}: {stopError?.Message}; reopening the data directory threw {reopenError?.GetType().Name}: {reopenError?.Message}");
    }

    /// <summary>
    /// Violation scores are part of the saved policy (docs/peer-policy.md), but PolicyPersistence saves only on an
    /// audited change (a ban, a whitelist change) and not at stop (docs/architecture.md says the stop saves the policy):
    /// a score below the ban threshold is lost at every restart, so "three reports ban" restarts from zero.
    /// </summary>
    [Fact]
    public async Task Restart_AfterTwoReports_TheThirdReportStillBans()
    {
        using var dir = new TempDirectory();
        using var key = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], time.GetUtcNow().ToUnixTimeSeconds(), 1);
        var liar = IPAddress.Parse("10.9.0.7");
        Task<TimeNode> Start() => TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dir.Path,
            Identity = key,
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
        }, new TcpTransport(), time, NullLoggerFactory.Instance);

        await using (var node = await Start())
        {
            Assert.Equal(ViolationAction.Ignored, node.Policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "first report").Action);
            Assert.Equal(ViolationAction.Ignored, node.Policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "second report").Action);
        }
        await using var again = await Start();

        Assert.Equal(ViolationAction.Banned, again.Policy.RecordViolation(liar, ViolationKind.UnbackedClaim, "third report").Action);
    }

    /// <summary>
    /// Generate reads the tip under the producer's lock only; a block the sync loop connects meanwhile makes the first
    /// generated block a sibling. AddBatch then commits the generated blocks (the chain reorganises onto them) and
    /// Generate throws "the chain refused generated block" after the commit: the caller is told nothing was made, the
    /// blocks are never announced (BlockProduced) and the slots are not marked handled.
    /// </summary>
    [Fact]
    public void Generate_TipMovesWhileGenerating_EitherReturnsTheBlocksOrLeavesThemOut()
    {
        using var federation = new TestFederation(keyCount: 1);
        bool raced = false;
        var producer = new BlockProducer(federation.Chain, [federation.Keys[0]], federation.Gate, federation.Clock, () =>
        {
            if (!raced)
            {
                raced = true; // as the sync loop would: a peer's block on the same parent, in a later slot
                var rival = BlockFactory.Create(federation.Parameters, federation.Parameters.GenesisHeader, 11, federation.Keys[0], [[1, 2, 3]]);
                Assert.Equal(BlockAddStatus.Extended, federation.Chain.Add(rival, federation.Clock.GetUtcNow()).Status);
            }
            return [];
        });
        var announced = new List<Block>();
        producer.BlockProduced += announced.Add;

        IReadOnlyList<Block>? blocks = null;
        var error = Record.Exception(() => blocks = producer.Generate(2));

        if (error is null)
            Assert.Equal(blocks![^1].Hash, announced[^1].Hash);
        else
            Assert.True(announced.Count == 0 && federation.Chain.State.Height == 1,
                $"Generate threw '{error.Message}', yet the chain is at height {federation.Chain.State.Height} on a generated block (announced: {announced.Count})");
    }
}
