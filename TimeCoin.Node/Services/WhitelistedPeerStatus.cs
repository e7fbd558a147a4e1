using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;

namespace TimeCoin.Node.Services;

/// <summary>
/// One whitelisted peer as the operator sees it: every single-address whitelist entry (config, discovery, masternode,
/// rpc), connected or not, and every connected peer a whitelist range covers.
/// </summary>
/// <param name="Ip">The peer's address.</param>
/// <param name="Port">Its peer-to-peer port: while connected, the port it listens on (the dialed or announced one; for an
/// inbound peer that announced none, its connection's port); while not, the port the node dials, else the one it
/// listened on when last connected; null when the node never learned one.</param>
/// <param name="Reason">Why it is whitelisted: the reason of the entry of the first of <paramref name="Sources"/> (the most
/// specific of that source's entries covering it).</param>
/// <param name="Sources">Every source whose entry covers the address, in source order (config, discovery, masternode, rpc).</param>
/// <param name="Connected">True when a connection from or to this address is live now.</param>
/// <param name="PeerId">The connected node's id (hex), or null.</param>
/// <param name="Permissions">The permissions the entries grant.</param>
/// <param name="IsInbound">For a connected peer: true when it dialed us.</param>
/// <param name="Uptime">For a connected peer: how long it has been connected.</param>
/// <param name="MissedPongs">For a connected peer: consecutive missed pongs (0 otherwise).</param>
/// <param name="LastPongAgo">For a connected peer: time since its last pong, or null before the first.</param>
/// <param name="PingRtt">For a connected peer: the last ping round trip, or null before the first pong.</param>
/// <param name="BestHeight">For a connected peer: the height it reported.</param>
/// <param name="LastDisconnect">The last disconnect from this address the node remembers, or null.</param>
public sealed record WhitelistedPeerStatus(
    IPAddress Ip,
    int? Port,
    string Reason,
    IReadOnlyList<WhitelistSource> Sources,
    bool Connected,
    string? PeerId,
    PeerPermissions Permissions,
    bool? IsInbound,
    TimeSpan? Uptime,
    int MissedPongs,
    TimeSpan? LastPongAgo,
    TimeSpan? PingRtt,
    long? BestHeight,
    DisconnectRecord? LastDisconnect);
