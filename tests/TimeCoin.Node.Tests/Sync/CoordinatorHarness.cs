using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>One coordinator over its own database (at genesis of <see cref="SyncTestChain"/>) on a virtual clock.</summary>
public sealed class CoordinatorHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;

    public CoordinatorHarness(SyncCoordinatorOptions? options = null, Func<TimeCoin.Core.Crypto.PublicKey, bool>? isKnownMasternode = null)
    {
        _database = NodeDatabase.Open(_directory.Path);
        Store = ChainStore.Open(_database, Chain.Parameters);
        Coordinator = new SyncCoordinator(Store, options ?? new SyncCoordinatorOptions(), Time, NullLogger<SyncCoordinator>.Instance)
        {
            IsKnownMasternode = isKnownMasternode,
        };
    }

    public SyncTestChain Chain { get; } = new();

    public FakeTimeProvider Time { get; } = new(SyncTestChain.Clock);

    public ChainStore Store { get; }

    public SyncCoordinator Coordinator { get; }

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        _database.Dispose();
        _directory.Dispose();
        Chain.Dispose();
    }
}
