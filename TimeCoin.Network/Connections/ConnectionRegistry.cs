using TimeCoin.Core.Crypto;
using TimeCoin.Network.Peers;

namespace TimeCoin.Network.Connections;

/// <summary>
/// The live, handshaken connections keyed by node identity (never by IP: several nodes may share an address and
/// one node may change address). At most one connection per node id. When a second connection to the same node
/// completes its handshake (both sides dialed each other at once), <see cref="ShouldKeepExisting"/> decides, the
/// same way on both sides: keep the connection dialed by the node with the lower node id (byte order). Thread-safe.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<PublicKey, IPeer> _peers = new();
    private readonly PublicKey _localNodeId;
    // The last snapshot, kept until the set of peers changes (null then): most callers (the gossip flush, metrics, the
    // alert monitor, the dial round, sync) ask for it far more often than peers come and go.
    private IPeer[]? _snapshot;

    /// <summary>Creates an empty registry for the node <paramref name="localNodeId"/>.</summary>
    public ConnectionRegistry(PublicKey localNodeId)
    {
        ArgumentNullException.ThrowIfNull(localNodeId);
        _localNodeId = localNodeId;
    }

    /// <summary>Number of registered connections.</summary>
    public int Count { get { lock (_gate) return _peers.Count; } }

    /// <summary>Number of registered connections the remote dialed.</summary>
    public int InboundCount { get { lock (_gate) return _peers.Values.Count(p => p.IsInbound); } }

    /// <summary>Number of registered connections we dialed.</summary>
    public int OutboundCount { get { lock (_gate) return _peers.Values.Count(p => !p.IsInbound); } }

    /// <summary>
    /// Registers <paramref name="peer"/>. When no connection to its node exists it is added. Otherwise the rule of
    /// <see cref="ShouldKeepExisting"/> picks one; the caller closes the other with reason "duplicate".
    /// </summary>
    /// <returns>The connection that lost (to be closed), or null when <paramref name="peer"/> was simply added.</returns>
    public IPeer? Register(IPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.NodeId == _localNodeId)
            return peer; // a connection to ourselves never stays
        lock (_gate)
        {
            if (!_peers.TryGetValue(peer.NodeId, out var existing))
            {
                _peers.Add(peer.NodeId, peer);
                _snapshot = null;
                return null;
            }
            if (ReferenceEquals(existing, peer))
                return null;
            if (ShouldKeepExisting(_localNodeId, existing, peer))
                return peer;
            _peers[peer.NodeId] = peer;
            _snapshot = null;
            return existing;
        }
    }

    /// <summary>Removes <paramref name="peer"/> if it is the registered connection for its node.</summary>
    /// <returns>True when it was registered and is now removed.</returns>
    public bool Remove(IPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_gate)
        {
            if (_peers.TryGetValue(peer.NodeId, out var existing) && ReferenceEquals(existing, peer))
            {
                _snapshot = null;
                return _peers.Remove(peer.NodeId);
            }
            return false;
        }
    }

    /// <summary>The connection to node <paramref name="nodeId"/>, or null.</summary>
    public IPeer? Find(PublicKey nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        lock (_gate)
            return _peers.GetValueOrDefault(nodeId);
    }

    /// <summary>True when a connection to <paramref name="nodeId"/> is registered.</summary>
    public bool Contains(PublicKey nodeId) => Find(nodeId) is not null;

    /// <summary>
    /// The registered connections, ordered by node id: an array never changed afterwards, and the same one until a
    /// connection is registered, replaced or removed.
    /// </summary>
    public IReadOnlyList<IPeer> Snapshot()
    {
        lock (_gate)
            return _snapshot ??= _peers.Values.OrderBy(p => p.NodeId).ToArray();
    }

    /// <summary>
    /// The duplicate rule. Each connection was dialed by one node: the remote for an inbound connection, us for an
    /// outbound one. When the two were dialed by different nodes (a simultaneous dial), the connection dialed by the
    /// lower node id is kept; both sides see the same two connections with the same dialers and so keep the same
    /// one. When both were dialed by the same node (a redial while an old connection is not yet seen as dead), the
    /// newer one is kept.
    /// </summary>
    /// <param name="localNodeId">Our node id.</param>
    /// <param name="existing">The registered connection.</param>
    /// <param name="candidate">The new connection to the same node.</param>
    /// <returns>True to keep <paramref name="existing"/> and close <paramref name="candidate"/>.</returns>
    public static bool ShouldKeepExisting(PublicKey localNodeId, IPeer existing, IPeer candidate)
    {
        ArgumentNullException.ThrowIfNull(localNodeId);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(candidate);
        var existingDialer = existing.IsInbound ? existing.NodeId : localNodeId;
        var candidateDialer = candidate.IsInbound ? candidate.NodeId : localNodeId;
        if (existingDialer != candidateDialer)
            return existingDialer.CompareTo(candidateDialer) < 0;
        return false;
    }
}
