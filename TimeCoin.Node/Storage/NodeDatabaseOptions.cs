namespace TimeCoin.Node.Storage;

/// <summary>Options of the embedded store.</summary>
public sealed class NodeDatabaseOptions
{
    /// <summary>
    /// When true, every commit is fsynced (survives power loss). When false (default), commits survive a process
    /// crash but the last moments before a power loss may be lost; the chain stays consistent either way.
    /// </summary>
    public bool SynchronousFull { get; init; }
}
