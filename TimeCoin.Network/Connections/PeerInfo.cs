using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;

namespace TimeCoin.Network.Connections;

/// <summary>A snapshot of one connected peer, for RPC (<c>get-peer-info</c>) and metrics.</summary>
/// <param name="PeerId">Node id in hex.</param>
/// <param name="NodeId">Node identity key.</param>
/// <param name="RemoteEndPoint">Where the connection comes from or goes to.</param>
/// <param name="IsInbound">True when the remote dialed us.</param>
/// <param name="Permissions">Whitelist permissions now.</param>
/// <param name="IsWhitelisted">True when the address is whitelisted now.</param>
/// <param name="IsMasternode">True when the peer said it is a masternode.</param>
/// <param name="IsKnownMasternode">True when the masternode registry knows its key.</param>
/// <param name="ConnectedAt">When the handshake completed.</param>
/// <param name="Uptime">How long it has been connected.</param>
/// <param name="LastPingRtt">Last measured round trip.</param>
/// <param name="AveragePingRtt">Average round trip.</param>
/// <param name="MissedPongs">Consecutive missed pongs.</param>
/// <param name="BestHeight">Best height the peer reported.</param>
/// <param name="TipHash">Tip the peer reported.</param>
/// <param name="BytesSent">Frame bytes sent.</param>
/// <param name="BytesReceived">Frame bytes received.</param>
/// <param name="MessagesSent">Messages sent.</param>
/// <param name="MessagesReceived">Messages received.</param>
/// <param name="UserAgent">The peer's software.</param>
public sealed record PeerInfo(
    string PeerId,
    PublicKey NodeId,
    IPEndPoint RemoteEndPoint,
    bool IsInbound,
    PeerPermissions Permissions,
    bool IsWhitelisted,
    bool IsMasternode,
    bool IsKnownMasternode,
    DateTimeOffset ConnectedAt,
    TimeSpan Uptime,
    TimeSpan? LastPingRtt,
    TimeSpan? AveragePingRtt,
    int MissedPongs,
    long BestHeight,
    Hash256 TipHash,
    long BytesSent,
    long BytesReceived,
    long MessagesSent,
    long MessagesReceived,
    string UserAgent);
