namespace TimeCoin.Node.Services;

/// <summary>What RPC reports about chain synchronization; the node implements it over the sync coordinator.</summary>
public interface ISyncStatus
{
    /// <summary>True when the sync coordinator runs.</summary>
    bool IsRunning { get; }

    /// <summary>True while the node is downloading blocks to catch up with a peer.</summary>
    bool IsSyncing { get; }

    /// <summary>The height the node is syncing towards; 0 when not syncing.</summary>
    long TargetHeight { get; }

    /// <summary>The sync coordinator's full status (best peer, header height, fork resolution, last error); null when not running.</summary>
    TimeCoin.Node.Sync.SyncCoordinatorStatus? GetCoordinatorStatus() => null;
}
