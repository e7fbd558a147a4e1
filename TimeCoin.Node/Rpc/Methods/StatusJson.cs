using System.Globalization;
using System.Text.Json.Nodes;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Services;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Rpc.Methods;

/// <summary>Turns the services' status records into the JSON the RPC methods answer with (names are the public contract; docs/rpc.md).</summary>
internal static class StatusJson
{
    public static string Time(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>One row of <c>get_peer_info</c>.</summary>
    public static JsonObject Peer(PeerInfo p) => new()
    {
        ["peer_id"] = p.PeerId,
        ["address"] = p.RemoteEndPoint.ToString(),
        ["direction"] = Direction(p.IsInbound),
        ["inbound"] = p.IsInbound,
        ["permissions"] = PeerPermissionNames.Format(p.Permissions),
        ["whitelisted"] = p.IsWhitelisted,
        ["masternode"] = p.IsMasternode,
        ["connected_at"] = Time(p.ConnectedAt),
        ["uptime_secs"] = (long)p.Uptime.TotalSeconds,
        ["ping_ms"] = Milliseconds(p.LastPingRtt),
        ["avg_ping_ms"] = Milliseconds(p.AveragePingRtt),
        ["missed_pongs"] = p.MissedPongs,
        ["best_height"] = p.BestHeight,
        ["bytes_sent"] = p.BytesSent,
        ["bytes_received"] = p.BytesReceived,
        ["user_agent"] = p.UserAgent,
    };

    /// <summary>One row of <c>get_node_addresses</c>.</summary>
    public static JsonObject KnownAddress(KnownPeer a, bool connected) => new()
    {
        ["address"] = a.EndPoint.ToString(),
        ["source"] = a.Source.ToString().ToLowerInvariant(),
        ["last_connected"] = a.LastConnectedAt is { } at ? Time(at) : null,
        ["failures"] = a.Failures,
        ["connected"] = connected,
    };

    /// <summary>One row of <c>get_masternodes</c>.</summary>
    public static JsonObject Masternode(MasternodeRecord m) => new()
    {
        ["key"] = m.Key.ToString(),
        ["address"] = m.Address,
        ["tier"] = m.Tier.ToString().ToLowerInvariant(),
        ["status"] = m.Status.ToString().ToLowerInvariant(),
        ["first_seen"] = Time(m.FirstSeen),
        ["last_heartbeat"] = m.LastHeartbeat is { } beat ? Time(beat) : null,
        ["uptime_secs"] = (long)m.Uptime.TotalSeconds,
        ["height"] = m.LastReportedHeight,
    };

    private static string Direction(bool inbound) => inbound ? "inbound" : "outbound";

    private static double? Milliseconds(TimeSpan? span) => span is { } s ? Math.Round(s.TotalMilliseconds, 3) : null;

    private static long? Seconds(TimeSpan? span) => span is { } s ? (long)s.TotalSeconds : null;

    public static void AddNetworkReport(JsonObject answer, NetworkStatusReport report)
    {
        answer["connections"] = report.Connections;
        answer["connections_in"] = report.ConnectionsIn;
        answer["connections_out"] = report.ConnectionsOut;
        answer["whitelist_count"] = report.WhitelistCount;
        answer["whitelisted_connected"] = report.WhitelistedPeers.Count(p => p.Connected);
        answer["whitelisted_peers"] = new JsonArray(report.WhitelistedPeers.Select(p => (JsonNode)WhitelistedPeer(p)).ToArray());
        answer["bans"] = report.Bans;
        answer["sync_status"] = SyncSummary(report.Sync);
        answer["alerts"] = new JsonArray(report.Alerts.Select(a => (JsonNode)Alert(a)).ToArray());
        answer["recent_disconnects"] = new JsonArray(report.RecentDisconnects.Select(d => (JsonNode)Disconnect(d)).ToArray());
    }

    public static JsonObject WhitelistedPeer(WhitelistedPeerStatus peer) => new()
    {
        ["ip"] = peer.Ip.ToString(),
        ["port"] = peer.Port,
        ["reason"] = peer.Reason,
        ["source"] = peer.Sources.Count > 0 ? SourceName(peer.Sources[0]) : null,
        ["sources"] = new JsonArray(peer.Sources.Select(s => (JsonNode)SourceName(s)).ToArray()),
        ["connected"] = peer.Connected,
        ["peer_id"] = peer.PeerId,
        ["permissions"] = PeerPermissionNames.Format(peer.Permissions),
        ["direction"] = peer.IsInbound is { } inbound ? Direction(inbound) : null,
        ["uptime_secs"] = Seconds(peer.Uptime) ?? 0,
        ["missed_pongs"] = peer.MissedPongs,
        ["last_pong_secs_ago"] = Seconds(peer.LastPongAgo),
        ["ping_ms"] = Milliseconds(peer.PingRtt),
        ["best_height"] = peer.BestHeight,
        ["last_disconnect"] = peer.LastDisconnect is { } d ? new JsonObject { ["reason"] = d.Reason, ["at"] = Time(d.At) } : null,
    };

    public static JsonObject SyncSummary(SyncStatusSummary sync) => new()
    {
        ["height"] = sync.Height,
        ["best_peer"] = sync.BestPeerAddress,
        ["best_peer_id"] = sync.BestPeerId,
        ["best_height"] = sync.BestHeight,
        ["syncing"] = sync.IsSyncing,
        ["blocks_in_flight"] = sync.BlocksInFlight,
    };

    public static JsonObject Alert(NodeAlert alert) => new()
    {
        ["code"] = alert.Code,
        ["level"] = alert.Level.ToString().ToLowerInvariant(),
        ["message"] = alert.Message,
        ["since"] = Time(alert.Since),
        ["subject"] = alert.Subject,
    };

    /// <summary>One raise or clear of the alert history (<c>get_alerts</c> with <c>history</c>).</summary>
    public static JsonObject AlertEvent(AlertChange change) => new()
    {
        ["event"] = change.IsActive ? "raised" : "cleared",
        ["at"] = Time(change.At),
        ["code"] = change.Alert.Code,
        ["level"] = change.Alert.Level.ToString().ToLowerInvariant(),
        ["subject"] = change.Alert.Subject,
        ["message"] = change.Alert.Message,
        ["since"] = Time(change.Alert.Since),
        ["resolution"] = change.Resolution,
    };

    public static JsonObject Disconnect(DisconnectRecord record) => new()
    {
        ["peer"] = record.PeerId,
        ["ip"] = record.RemoteEndPoint.Address.ToString(),
        ["port"] = record.RemoteEndPoint.Port,
        ["direction"] = Direction(record.IsInbound),
        ["reason"] = record.Reason,
        ["goodbye"] = record.ClosedByGoodbye,
        ["at"] = Time(record.At),
        ["whitelisted"] = record.WasWhitelisted,
        ["connected_secs"] = (long)record.Duration.TotalSeconds,
    };

    public static void AddCoordinatorStatus(JsonObject answer, SyncCoordinatorStatus status)
    {
        answer["best_peer"] = status.BestPeerId;
        answer["best_height"] = status.BestHeight;
        answer["header_height"] = status.HeaderHeight;
        answer["blocks_in_flight"] = status.BlocksInFlight;
        answer["lag_alert"] = status.LagAlertRaised;
        answer["fork_resolution"] = status.ForkResolution is { } fork ? JsonValue.Create(fork.ToString()) : null;
        answer["last_error"] = status.LastError;
        answer["rounds"] = status.Rounds;
    }

    private static string SourceName(WhitelistSource source) => source.ToString().ToLowerInvariant();
}
