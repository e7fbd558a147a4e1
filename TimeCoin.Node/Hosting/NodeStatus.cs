using System.Text.Json.Nodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Production;
using TimeCoin.Node.Services;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// One view of the running network and sync layers for the parts that only need a summary: block production
/// (peer count, best peer height) and the RPC methods.
/// </summary>
internal sealed class NodeStatus(ConnectionManager connections, SyncCoordinator sync, PeerPolicy policy, bool singleNodeDevnet)
    : INetworkStatus, ISyncStatus, IProductionGate
{
    public bool IsRunning => true;

    public int PeerCount => connections.Peers.Count;

    /// <summary>
    /// The best height headers proved (the sync planner's verified best and header chain), never a height a peer
    /// merely claims: one peer claiming 2^63-1 must not stop production.
    /// </summary>
    public long BestPeerHeight
    {
        get
        {
            var status = sync.GetStatus();
            return Math.Max(status.BestHeight, status.HeaderHeight);
        }
    }

    public bool IsSingleNodeDevnet => singleNodeDevnet;

    bool ISyncStatus.IsRunning => sync.Enabled;

    public bool IsSyncing => sync.GetStatus().IsSyncing;

    public long TargetHeight
    {
        get
        {
            var status = sync.GetStatus();
            return Math.Max(status.BestHeight, status.Height);
        }
    }

    public void Describe(JsonObject answer)
    {
        var entries = policy.ListWhitelist();
        var whitelisted = new JsonArray();
        foreach (var peer in connections.GetPeerInfos().Where(p => p.IsWhitelisted))
        {
            var sources = entries.Where(e => e.Range.Contains(peer.RemoteEndPoint.Address))
                .Select(e => JsonValue.Create(e.Source.ToString().ToLowerInvariant())).ToArray();
            whitelisted.Add(new JsonObject
            {
                ["peer_id"] = peer.PeerId,
                ["address"] = peer.RemoteEndPoint.ToString(),
                ["sources"] = new JsonArray(sources),
                ["permissions"] = PeerPermissionNames.Format(peer.Permissions),
                ["uptime_secs"] = (long)peer.Uptime.TotalSeconds,
                ["missed_pongs"] = peer.MissedPongs,
                ["best_height"] = peer.BestHeight,
            });
        }
        answer["inbound"] = connections.InboundCount;
        answer["outbound"] = connections.OutboundCount;
        answer["whitelisted_peers"] = whitelisted;
        answer["whitelist_entries"] = entries.Count;
        answer["bans"] = policy.ListBans().Count;
        answer["recent_disconnects"] = new JsonArray(connections.RecentDisconnects.TakeLast(10)
            .Select(d => (JsonNode)JsonValue.Create(d.ToString())!).ToArray());
        var status = sync.GetStatus();
        var alerts = new JsonArray();
        if (status.LagAlertRaised)
            alerts.Add($"sync lag: {status.BestHeight - status.Height} blocks behind since {status.LaggingSince:O}");
        answer["alerts"] = alerts;
    }

    void ISyncStatus.Describe(JsonObject answer)
    {
        var status = sync.GetStatus();
        answer["best_peer"] = status.BestPeerId;
        answer["best_height"] = status.BestHeight;
        answer["header_height"] = status.HeaderHeight;
        answer["blocks_in_flight"] = status.BlocksInFlight;
        answer["lag_alert"] = status.LagAlertRaised;
        answer["fork_resolution"] = status.ForkResolution is { } fork
            ? JsonValue.Create(fork.ToString())
            : null;
        answer["last_error"] = status.LastError;
        answer["rounds"] = status.Rounds;
    }
}
