using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;

namespace TimeCoin.Node.Services;

/// <summary>
/// The peer-to-peer layer's state at one instant, as plain values: what <c>get_network_info</c> shows (the RPC layer
/// turns it into JSON) and what metrics and the devnet view read.
/// </summary>
/// <param name="Connections">Live connections (handshake completed).</param>
/// <param name="ConnectionsIn">Of those, inbound.</param>
/// <param name="ConnectionsOut">Of those, outbound.</param>
/// <param name="WhitelistCount">Whitelist entries (all sources).</param>
/// <param name="WhitelistedPeers">Whitelisted peers, connected or not, ordered by address.</param>
/// <param name="Bans">Active bans.</param>
/// <param name="Sync">The analysis' sync summary.</param>
/// <param name="Alerts">Active alerts, most urgent first.</param>
/// <param name="RecentDisconnects">The most recent disconnects, newest first.</param>
public sealed record NetworkStatusReport(
    int Connections,
    int ConnectionsIn,
    int ConnectionsOut,
    int WhitelistCount,
    IReadOnlyList<WhitelistedPeerStatus> WhitelistedPeers,
    int Bans,
    SyncStatusSummary Sync,
    IReadOnlyList<NodeAlert> Alerts,
    IReadOnlyList<DisconnectRecord> RecentDisconnects);
