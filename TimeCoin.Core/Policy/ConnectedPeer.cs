using System.Net;

namespace TimeCoin.Core.Policy;

/// <summary>A live connection, as the network layer describes it to <see cref="PeerPolicy.EvaluateInbound"/>.</summary>
/// <param name="PeerId">The connection's identity (node identity, not IP).</param>
/// <param name="Address">The remote IP address.</param>
/// <param name="IsInbound">True when the remote side dialed us.</param>
/// <param name="ConnectedAt">When the connection was established.</param>
/// <param name="IsMasternode">True when the peer is a known masternode.</param>
/// <param name="Permissions">The permissions the connection was given (from the whitelist when it connected).</param>
public sealed record ConnectedPeer(
    string PeerId,
    IPAddress Address,
    bool IsInbound,
    DateTimeOffset ConnectedAt,
    bool IsMasternode,
    PeerPermissions Permissions);
