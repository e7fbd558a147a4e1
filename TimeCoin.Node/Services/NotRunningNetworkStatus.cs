namespace TimeCoin.Node.Services;

/// <summary>The <see cref="INetworkStatus"/> of a node without a peer-to-peer layer: not running, no peers.</summary>
public sealed class NotRunningNetworkStatus : INetworkStatus
{
    /// <summary>The shared instance.</summary>
    public static NotRunningNetworkStatus Instance { get; } = new();

    /// <inheritdoc />
    public bool IsRunning => false;

    /// <inheritdoc />
    public int PeerCount => 0;

    /// <inheritdoc />
    public long BestPeerHeight => 0;
}
