namespace TimeCoin.Node.Storage;

/// <summary>Options of the embedded store.</summary>
public sealed class NodeDatabaseOptions
{
    /// <summary>
    /// When true, every commit is fsynced (survives power loss). When false (default), commits survive a process
    /// crash but the last moments before a power loss may be lost; the chain stays consistent either way.
    /// </summary>
    public bool SynchronousFull { get; init; }

    /// <summary>
    /// When set, the node uses the SQLite shared-cache in-memory database of this name instead of the file in the data
    /// directory (no directory lock). This is the storage seam of the whole-network simulation: the simulation
    /// holds one connection to each node's database, so a simulated crash and restart keeps exactly what was
    /// committed. Production never sets it.
    /// </summary>
    public string? InMemoryName { get; init; }
}
