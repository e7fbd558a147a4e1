using System.Text.Json.Nodes;
using TimeCoin.Core.Policy;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Hosting;

/// <summary>RPC methods that need the running node: peers, masternodes, stop.</summary>
internal static class NodeStatusRpcMethods
{
    public static void Register(RpcMethodRegistry registry, TimeNode node)
    {
        registry.Register("get_peer_info", "Every connected peer: id, address, direction, permissions, masternode, uptime, ping, missed pongs, height, traffic.", [],
            (_, _) => ValueTask.FromResult<JsonNode?>(new JsonArray(node.Connections.GetPeerInfos().Select(p => (JsonNode)new JsonObject
            {
                ["peer_id"] = p.PeerId,
                ["address"] = p.RemoteEndPoint.ToString(),
                ["inbound"] = p.IsInbound,
                ["permissions"] = PeerPermissionNames.Format(p.Permissions),
                ["whitelisted"] = p.IsWhitelisted,
                ["masternode"] = p.IsMasternode,
                ["uptime_secs"] = (long)p.Uptime.TotalSeconds,
                ["ping_ms"] = p.LastPingRtt?.TotalMilliseconds,
                ["avg_ping_ms"] = p.AveragePingRtt?.TotalMilliseconds,
                ["missed_pongs"] = p.MissedPongs,
                ["best_height"] = p.BestHeight,
                ["bytes_sent"] = p.BytesSent,
                ["bytes_received"] = p.BytesReceived,
                ["user_agent"] = p.UserAgent,
            }).ToArray())));
        registry.Register("get_masternodes", "Masternodes known from signed announcements and heartbeats, sorted by key.", [],
            (_, _) => ValueTask.FromResult<JsonNode?>(new JsonArray(node.Masternodes.GetAll().Select(m => (JsonNode)new JsonObject
            {
                ["key"] = m.Key.ToString(),
                ["address"] = m.Address,
                ["tier"] = m.Tier.ToString().ToLowerInvariant(),
                ["status"] = m.Status.ToString().ToLowerInvariant(),
                ["first_seen"] = m.FirstSeen.ToString("O"),
                ["last_heartbeat"] = m.LastHeartbeat?.ToString("O"),
                ["uptime_secs"] = (long)m.Uptime.TotalSeconds,
                ["height"] = m.LastReportedHeight,
            }).ToArray())));
        registry.Register("stop", "Shut the node down cleanly.", [],
            (_, _) =>
            {
                node.RequestStop();
                return ValueTask.FromResult<JsonNode?>(JsonValue.Create("time-node stopping"));
            });
    }
}
