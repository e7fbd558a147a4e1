using System.Net;
using Microsoft.Data.Sqlite;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.Hosting;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation;

/// <summary>
/// One host of the simulation: a fixed address, identity and store, and the <see cref="TimeNode"/> incarnation
/// running on it now (null while it is down). The store is a shared-cache in-memory SQLite database that the harness
/// keeps open, so a crash and restart keeps exactly what the node had committed.
/// </summary>
public sealed class SimulatedNode : IDisposable
{
    private readonly SqliteConnection _storeHolder;

    internal SimulatedNode(int index, IPAddress address, KeyPair identity, bool isMasternode, bool isProducer, string storeName)
    {
        Index = index;
        Address = address;
        Identity = identity;
        IsMasternode = isMasternode;
        IsProducer = isProducer;
        StoreName = storeName;
        _storeHolder = new SqliteConnection(TimeCoin.Node.Storage.NodeDatabase.InMemoryConnectionString(storeName));
        _storeHolder.Open();
    }

    /// <summary>Position in the simulation's node list.</summary>
    public int Index { get; }

    /// <summary>The host's address.</summary>
    public IPAddress Address { get; }

    /// <summary>The node's persistent key (node id, heartbeats, blocks when a producer).</summary>
    public KeyPair Identity { get; }

    /// <summary>True for a masternode.</summary>
    public bool IsMasternode { get; }

    /// <summary>True when the node holds a federation key.</summary>
    public bool IsProducer { get; }

    /// <summary>Name of the in-memory store.</summary>
    public string StoreName { get; }

    /// <summary>The running node, or null while down.</summary>
    public TimeNode? Node { get; internal set; }

    /// <summary>The host's lane of the scheduler (every incarnation runs on it).</summary>
    public SimulationLane Lane { get; internal init; } = null!;

    /// <summary>The context of the running incarnation.</summary>
    public SimulationContext? Context { get; internal set; }

    /// <summary>Starts counted so far (1 after the first start).</summary>
    public int Incarnation { get; internal set; }

    /// <summary>When the node last went down (virtual time), or null.</summary>
    public TimeSpan? DownSince { get; internal set; }

    /// <summary>True while a node runs on the host.</summary>
    public bool IsUp => Node is not null;

    /// <summary>The fault window of the current outage, while down after a crash.</summary>
    public FaultWindow? CrashFault { get; internal set; }

    /// <summary>The node's clock skew.</summary>
    public TimeSpan Skew { get; internal set; }

    /// <inheritdoc />
    public void Dispose()
    {
        _storeHolder.Dispose();
        Identity.Dispose();
    }
}
