using System.Text.Json.Nodes;
using TimeCoin.Core.Policy;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Rpc.Methods;

namespace TimeCoin.Node.Hosting;

/// <summary>RPC methods that need the running node: peers, masternodes, alerts, stop.</summary>
internal static class NodeStatusRpcMethods
{
    /// <summary>The most rows <c>get_node_addresses</c> gives (an address book holds at most 2,000 by default).</summary>
    public const int MaxAddressRows = 100_000;

    public static void Register(RpcMethodRegistry registry, TimeNode node)
    {
        registry.Register("get_peer_info", "Every connected peer: id, address, direction, permissions, masternode, uptime, ping, missed pongs, height, traffic.", [],
            (_, _) => ValueTask.FromResult<JsonNode?>(new JsonArray(node.Connections.GetPeerInfos().Select(p => (JsonNode)StatusJson.Peer(p)).ToArray())));
        registry.Register("get_masternodes", "Masternodes known from signed announcements and heartbeats, sorted by key.", [],
            (_, _) => ValueTask.FromResult<JsonNode?>(new JsonArray(node.Masternodes.GetAll().Select(m => (JsonNode)StatusJson.Masternode(m)).ToArray())));
        registry.Register("get_node_addresses",
            "The address book: every address the node may dial (source, when it last gave a connection, failed attempts since its last stable connection, whether an outbound connection to it is open), most recently connected first.",
            [new RpcParameter("limit", RpcParameterKind.Integer, false, $"how many rows (1 to {MaxAddressRows}, default all)")],
            (args, _) =>
            {
                int? limit = OptionalLimit(args, MaxAddressRows);
                var connected = node.Connections.GetPeerInfos().Where(p => !p.IsInbound).Select(p => p.RemoteEndPoint).ToHashSet();
                var rows = node.Connections.GetKnownAddresses()
                    .OrderByDescending(a => a.LastConnectedAt ?? DateTimeOffset.MinValue)
                    .ThenBy(a => a.Failures)
                    .ThenBy(a => a.EndPoint.ToString(), StringComparer.Ordinal)
                    .Take(limit ?? MaxAddressRows)
                    .Select(a => (JsonNode)StatusJson.KnownAddress(a, connected.Contains(a.EndPoint)));
                return ValueTask.FromResult<JsonNode?>(new JsonArray(rows.ToArray()));
            });
        registry.Register("get_alerts",
            "The active alerts (most urgent first) and, with history, the most recent raises and clears (newest first), so an alert that came and went between two looks is still seen.",
            [
                new RpcParameter("history", RpcParameterKind.Boolean, false, "include the raise/clear history (default false)"),
                new RpcParameter("limit", RpcParameterKind.Integer, false, $"how many history rows (1 to {AlertCenter.DefaultHistoryCapacity}, default all that are kept)"),
            ],
            (args, _) =>
            {
                int? limit = OptionalLimit(args, AlertCenter.DefaultHistoryCapacity);
                var alerts = node.Observability.Alerts;
                var answer = new JsonObject { ["active"] = new JsonArray(alerts.GetActive().Select(a => (JsonNode)StatusJson.Alert(a)).ToArray()) };
                if (args.GetBoolean("history") == true)
                {
                    answer["history"] = new JsonArray(alerts.GetHistory(limit).Select(c => (JsonNode)StatusJson.AlertEvent(c)).ToArray());
                }
                return ValueTask.FromResult<JsonNode?>(answer);
            });
        registry.Register("stop", "Shut the node down cleanly.", [],
            (_, _) =>
            {
                node.RequestStop();
                return ValueTask.FromResult<JsonNode?>(JsonValue.Create("time-node stopping"));
            });
    }

    // The optional row limit of get_node_addresses and get_alerts: absent, or from 1 to max.
    private static int? OptionalLimit(RpcArguments args, int max)
    {
        long? limit = args.GetInt64("limit");
        if (limit is < 1 || limit > max)
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: parameter 'limit' must be from 1 to {max}, got {limit}");
        return (int?)limit;
    }
}
