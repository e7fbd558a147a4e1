using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Node.Rpc.Methods;

namespace TimeCoin.Node.Tests.RpcMethods;

/// <summary>The rows of get_peer_info and get_masternodes as docs/rpc.md promises them.</summary>
public class StatusJsonTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, 123, TimeSpan.FromHours(2));

    [Fact]
    public void Peer_InboundAndOutbound_NamesTheDirectionAndGivesUtcTimes()
    {
        var key = KeyPair.Generate().PublicKey;
        var inbound = new PeerInfo(key.ToString(), key, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50123), IsInbound: true,
            PeerPermissions.NoBan, IsWhitelisted: true, IsMasternode: true, IsKnownMasternode: true, At, TimeSpan.FromSeconds(90.7),
            TimeSpan.FromMilliseconds(12.5), TimeSpan.FromMilliseconds(10), 1, 42, default, 100, 200, 3, 4, "time-node/1.0");

        var row = StatusJson.Peer(inbound);
        var outbound = StatusJson.Peer(inbound with { IsInbound = false });

        Assert.Equal("inbound", (string?)row["direction"]);
        Assert.True((bool)row["inbound"]!);
        Assert.Equal("outbound", (string?)outbound["direction"]);
        Assert.Equal("2026-03-01T10:00:00Z", (string?)row["connected_at"]);
        Assert.Equal("10.0.0.2:50123", (string?)row["address"]);
        Assert.Equal(90, (long)row["uptime_secs"]!);
        Assert.Equal(12.5, (double)row["ping_ms"]!);
        Assert.Equal(1, (int)row["missed_pongs"]!);
        Assert.Equal(42, (long)row["best_height"]!);
    }

    [Fact]
    public void Peer_RoundTrips_InMillisecondsWithThreeDecimalsAsInGetNetworkInfo()
    {
        // get_network_info gives a whitelisted peer's round trip to the microsecond; get_peer_info gave the same
        // measurement with every tick (41.7234567).
        var key = KeyPair.Generate().PublicKey;
        var peer = new PeerInfo(key.ToString(), key, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50123), IsInbound: false,
            PeerPermissions.None, IsWhitelisted: false, IsMasternode: false, IsKnownMasternode: false, At, TimeSpan.FromSeconds(5),
            TimeSpan.FromTicks(417_234_567 / 1000), TimeSpan.FromTicks(123_456_789 / 1000), 0, 0, default, 0, 0, 0, 0, "time-node/1.0");

        var row = StatusJson.Peer(peer);

        Assert.Equal(41.723, (double)row["ping_ms"]!);
        Assert.Equal(12.346, (double)row["avg_ping_ms"]!);
        Assert.Null(StatusJson.Peer(peer with { LastPingRtt = null, AveragePingRtt = null })["ping_ms"]);
    }

    [Fact]
    public void Masternode_Times_AreUtcIso8601WithoutFractions()
    {
        var record = new MasternodeRecord
        {
            Key = KeyPair.Generate().PublicKey,
            Address = "10.0.0.3:24000",
            Tier = MasternodeTier.Gold,
            FirstSeen = At,
            LastSeen = At,
            LastHeartbeat = At.AddMinutes(5),
            Status = MasternodeStatus.Active,
            StatusSince = At,
            Uptime = TimeSpan.FromMinutes(5),
            LastReportedHeight = 77,
            LastAnnouncementTimestamp = At,
        };

        var row = StatusJson.Masternode(record);
        var silent = StatusJson.Masternode(record with { LastHeartbeat = null });

        Assert.Equal("2026-03-01T10:00:00Z", (string?)row["first_seen"]);
        Assert.Equal("2026-03-01T10:05:00Z", (string?)row["last_heartbeat"]);
        Assert.Null(silent["last_heartbeat"]);
        Assert.Equal("gold", (string?)row["tier"]);
        Assert.Equal("active", (string?)row["status"]);
        Assert.Equal(77UL, (ulong)row["height"]!);
    }
}
