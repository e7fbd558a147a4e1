using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Production;
using TimeCoin.Node.Services;
using TimeCoin.Node.Sync;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// One view of the running network and sync layers as plain status records, for block production (peer count, best
/// peer height), the RPC methods, metrics and the devnet view. It reads; it owns nothing.
/// </summary>
internal sealed class NodeStatus(ConnectionManager connections, SyncCoordinator sync, PeerPolicy policy, AlertCenter alerts,
    TimeProvider time, bool singleNodeDevnet)
    : INetworkStatus, ISyncStatus, IProductionGate
{
    /// <summary>How many recent disconnects the report carries.</summary>
    public const int ReportedDisconnects = 20;

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

    SyncCoordinatorStatus? ISyncStatus.GetCoordinatorStatus() => sync.GetStatus();

    public NetworkStatusReport GetReport()
    {
        var now = time.GetUtcNow();
        var peers = connections.Peers;
        var entries = policy.ListWhitelist();
        var disconnects = connections.RecentDisconnects;
        var known = connections.GetKnownAddresses();

        var rows = new SortedDictionary<IPAddress, WhitelistedPeerStatus>(AddressOrder.Instance);
        foreach (var peer in peers.Where(p => p.IsWhitelisted))
        {
            var ip = IpRange.Normalize(peer.RemoteEndPoint.Address);
            if (rows.ContainsKey(ip))
                continue; // one row per address; duplicates are resolved by the connection layer
            var covering = Covering(entries, ip);
            var ping = peer.PingStatistics;
            // Where it listens; for an inbound peer that announced no listen port, the port its connection comes from.
            int port = peer.AdvertisedEndPoint?.Port ?? KnownPort(known, ip) ?? peer.RemoteEndPoint.Port;
            rows[ip] = new WhitelistedPeerStatus(ip, port, covering.FirstOrDefault()?.Reason ?? "", Sources(covering), true, peer.PeerId,
                peer.Permissions, peer.IsInbound, now - peer.ConnectedAt, ping.MissedPongs,
                ping.LastPongAt is { } pong ? now - pong : null, ping.LastRtt, peer.BestHeight, LastDisconnect(disconnects, ip));
        }
        foreach (var group in entries.Where(e => e.Range.IsSingleAddress).GroupBy(e => IpRange.Normalize(e.Range.Network)))
        {
            if (rows.ContainsKey(group.Key))
                continue;
            var covering = Covering(entries, group.Key);
            var last = LastDisconnect(disconnects, group.Key);
            // The port the node dials, else the one the peer listened on when it was last connected; null when never known.
            int? port = KnownPort(known, group.Key) ?? last?.AdvertisedEndPoint?.Port;
            rows[group.Key] = new WhitelistedPeerStatus(group.Key, port, covering[0].Reason, Sources(covering), false,
                null, PermissionsOf(covering), null, null, 0, null, null, null, last);
        }

        var status = sync.GetStatus();
        var best = status.BestPeerId is { } bestId ? peers.FirstOrDefault(p => p.PeerId == bestId) : null;
        var summary = new SyncStatusSummary(status.Height, status.BestPeerId, best?.RemoteEndPoint.Address.ToString(),
            Math.Max(status.BestHeight, status.Height), status.IsSyncing, status.BlocksInFlight);
        return new NetworkStatusReport(peers.Count, peers.Count(p => p.IsInbound), peers.Count(p => !p.IsInbound), entries.Count,
            rows.Values.ToArray(), policy.ListBans().Count, summary, alerts.GetActive(),
            disconnects.Reverse().Take(ReportedDisconnects).ToArray());
    }

    /// <summary>
    /// The entries covering <paramref name="ip"/> in source order (config, discovery, masternode, rpc), the most specific
    /// first within a source: the first gives a row's <c>source</c> and its <c>reason</c>, so the two always match.
    /// </summary>
    private static List<WhitelistEntry> Covering(IReadOnlyList<WhitelistEntry> entries, IPAddress ip) =>
        entries.Where(e => e.Range.Contains(ip)).OrderBy(e => e.Source).ThenByDescending(e => e.Range.PrefixLength).ToList();

    private static IReadOnlyList<WhitelistSource> Sources(List<WhitelistEntry> covering) =>
        covering.Select(e => e.Source).Distinct().ToArray();

    private static PeerPermissions PermissionsOf(List<WhitelistEntry> covering) =>
        covering.Aggregate(PeerPermissions.None, (all, e) => all | e.Permissions);

    private static int? KnownPort(IReadOnlyList<KnownPeer> known, IPAddress ip) =>
        known.Where(k => IpRange.Normalize(k.EndPoint.Address).Equals(ip)).OrderBy(k => k.Source).Select(k => (int?)k.EndPoint.Port).FirstOrDefault();

    private static DisconnectRecord? LastDisconnect(IReadOnlyList<DisconnectRecord> disconnects, IPAddress ip) =>
        disconnects.LastOrDefault(d => IpRange.Normalize(d.RemoteEndPoint.Address).Equals(ip));

    private sealed class AddressOrder : IComparer<IPAddress>
    {
        public static AddressOrder Instance { get; } = new();

        public int Compare(IPAddress? x, IPAddress? y)
        {
            var a = x!.GetAddressBytes();
            var b = y!.GetAddressBytes();
            return a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.AsSpan().SequenceCompareTo(b);
        }
    }
}
