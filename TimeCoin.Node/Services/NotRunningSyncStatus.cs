namespace TimeCoin.Node.Services;

/// <summary>The <see cref="ISyncStatus"/> of a node without a sync coordinator: not running, not syncing.</summary>
public sealed class NotRunningSyncStatus : ISyncStatus
{
    /// <summary>The shared instance.</summary>
    public static NotRunningSyncStatus Instance { get; } = new();

    /// <inheritdoc />
    public bool IsRunning => false;

    /// <inheritdoc />
    public bool IsSyncing => false;

    /// <inheritdoc />
    public long TargetHeight => 0;
}
