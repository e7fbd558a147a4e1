using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// A node as far as sync goes: a database in a temp directory, its chain store, a coordinator and the chain-sync
/// message handler, plus records of the violations and alerts it raised.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private static int _nextAddress;
    private readonly TempDirectory _directory = new();
    private readonly NodeDatabase _database;
    private readonly List<WirePeer> _links = [];

    public TestNode(string name, SyncTestChain chain, TimeProvider time, SyncCoordinatorOptions? options = null)
    {
        Name = name;
        Chain = chain;
        using (var key = KeyPair.FromPrivateKey(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("node " + name))))
            NodeId = key.PublicKey;
        int n = Interlocked.Increment(ref _nextAddress);
        Address = new IPAddress([10, 0, (byte)(n / 250), (byte)(n % 250 + 1)]);
        _database = NodeDatabase.Open(_directory.Path);
        Store = ChainStore.Open(_database, chain.Parameters);
        Coordinator = new SyncCoordinator(Store, options ?? new SyncCoordinatorOptions(), time, Log);
        Service = new ChainSyncService(Store, Coordinator, NullLogger<ChainSyncService>.Instance);
        Coordinator.PeerMisbehaved += (peer, kind, detail) => Violations.Enqueue((peer, kind, detail));
        Coordinator.LagAlertChanged += alert => Alerts.Enqueue(alert);
    }

    public string Name { get; }

    public SyncTestChain Chain { get; }

    public PublicKey NodeId { get; }

    public IPAddress Address { get; }

    public ChainStore Store { get; }

    public SyncCoordinator Coordinator { get; }

    public ChainSyncService Service { get; }

    public RecordingLogger<SyncCoordinator> Log { get; } = new();

    public ConcurrentQueue<(IPeer Peer, ViolationKind Kind, string Detail)> Violations { get; } = new();

    public ConcurrentQueue<SyncLagAlert> Alerts { get; } = new();

    public long Height => Store.State.Height;

    public Hash256 TipHash => Store.State.TipHash;

    public TestNode Start()
    {
        Coordinator.Start();
        return this;
    }

    /// <summary>Adds pre-built blocks straight to the store (no sync).</summary>
    public void Load(IReadOnlyList<Block> blocks)
    {
        var results = Store.AddBatch(blocks, SyncTestChain.Clock);
        if (results.Any(r => r.Status == BlockAddStatus.Rejected))
            throw new InvalidOperationException($"{Name}: test block rejected: {results.First(r => r.Status == BlockAddStatus.Rejected)}");
    }

    /// <summary>Produces <paramref name="count"/> blocks on our tip (as the block producer would) and announces the last.</summary>
    public async Task<IReadOnlyList<Block>> ProduceAsync(int count, string branch)
    {
        var blocks = Chain.Build(Store.State.Tip, count, branch);
        Load(blocks);
        await Service.AnnounceAsync(blocks[^1]);
        return blocks;
    }

    /// <summary>Connects two nodes with an in-process link; both handlers see the peer connect.</summary>
    public static (WirePeer AtA, WirePeer AtB) Link(TestNode a, TestNode b, int seed = 1)
    {
        var (atA, atB) = WirePeer.Create(a, b, seed);
        a._links.Add(atA);
        b._links.Add(atB);
        a.Service.OnPeerConnected(atA);
        b.Service.OnPeerConnected(atB);
        return (atA, atB);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in _links.ToList())
            link.Close("test over");
        await Coordinator.DisposeAsync();
        foreach (var link in _links)
        {
            try { await link.Completion.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        }
        _database.Dispose();
        _directory.Dispose();
    }
}
