using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>Masternode announcements relayed once and auto-whitelisted; discovery whitelisting and fallback.</summary>
public class GossipAndDiscoveryTests
{
    private static readonly IPAddress IpA = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress IpB = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress IpC = IPAddress.Parse("10.0.0.3");

    private static ConnectionManagerOptions Options(IPAddress ip, params string[] persistent) => new()
    {
        ListenEndPoint = new IPEndPoint(ip, 24200),
        DefaultPort = 24200,
        PersistentPeers = persistent,
        AutoWhitelistMasternodes = true,
        DialInterval = TimeSpan.FromMilliseconds(20),
        GossipTrickleInterval = TimeSpan.FromMilliseconds(100), // real time here; trickling is tested in GossipTrickleTests
    };

    [Fact]
    public async Task Announcement_FromMasternodeThroughARelay_AcceptedWhitelistedAndRelayedToTheNextNode()
    {
        var network = new InMemoryNetwork();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, "10.0.0.2:24200"));
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB));
        await using var c = new TestNode(network.CreateTransport(IpC), Options(IpC, "10.0.0.2:24200"));
        await b.StartAsync();
        await a.StartAsync();
        await c.StartAsync();
        await Until(() => b.Manager.Peers.Count == 2, "a and c connected to b");
        // Each side registers the connection when its own handshake ends: a's broadcast needs b in a's registry.
        await Until(() => a.PeerFor(b) is not null && c.PeerFor(b) is not null, "a and c registered b");

        var announcement = MasternodeAnnouncement.Create(a.Key, Chain.NetworkName, "10.0.0.1:24200", MasternodeTier.Gold, DateTimeOffset.UtcNow);
        a.Manager.Broadcast(new MasternodeAnnouncementMessage(announcement.Encode()));

        await Until(() => c.Masternodes.Find(a.Key.PublicKey) is not null, "c learns of a through b");
        Assert.NotNull(b.Masternodes.Find(a.Key.PublicKey));
        // b is connected to a at the announced address: the handshake proved the key there, so b whitelists it.
        await Until(() => b.Policy.ListWhitelist().Any(e => e.Source == WhitelistSource.Masternode && e.Range.Contains(IpA)), "b whitelists a");
        Assert.True((b.Policy.GetPermissions(IpA) & PeerPermissions.LenientLiveness) != 0);
        // c heard of a only through b, which proves nothing about the address (issue 9, finding 3); c dials the
        // announced address, and its own handshake with a there is the proof.
        await Until(() => c.Policy.ListWhitelist().Any(e => e.Source == WhitelistSource.Masternode && e.Range.Contains(IpA)), "c whitelists a");
        Assert.NotNull(c.PeerFor(a));
        // c asks b for the masternodes it knows: a's signed announcement comes back.
        await c.Manager.FindPeer(b.Key.PublicKey)!.SendAsync(new GetMasternodesMessage());
        await Until(() => c.Manager.KnownAddressCount >= 1, "c knows a's address");
    }

    [Fact]
    public async Task Announcement_ForgedSignature_SenderScoredAsSevereAndNothingAccepted()
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(IpB), Options(IpB));
        await node.StartAsync();
        await using var liar = await RawPeer.ConnectAsync(network.CreateTransport(IpC), node.EndPoint);
        using var victim = TimeCoin.Core.Crypto.KeyPair.Generate();
        var genuine = MasternodeAnnouncement.Create(victim, Chain.NetworkName, "10.0.0.7:24200", MasternodeTier.Free, DateTimeOffset.UtcNow).Encode();
        genuine[^1] ^= 0x55; // break the signature

        await liar.Writer.WriteAsync(new MasternodeAnnouncementMessage(genuine));

        await Until(() => node.Policy.GetViolationScore(IpC) >= 5 || node.Policy.IsBanned(IpC), "the forged signature is scored as severe");
        Assert.Null(node.Masternodes.Find(victim.PublicKey));
        Assert.DoesNotContain(node.Policy.ListWhitelist(), e => e.Range.Contains(IPAddress.Parse("10.0.0.7")));
    }

    [Fact]
    public async Task Discovery_AutoWhitelistOn_EveryValidAddressGetsADiscoveryEntry()
    {
        await using var server = new TestHttpServer();
        var url = server.MapText("/peers", "[\"10.0.0.5:24200\", \"10.0.0.6\", \"not an address\"]");
        var logs = new CapturingLoggerFactory();
        using var http = new HttpClient();
        var options = new ConnectionManagerOptions { DiscoveryUrl = url, DiscoveryHttpClient = http, AutoWhitelistDiscovered = true, DefaultPort = 24200, TargetOutbound = 0 };
        await using var node = new TestNode(new InMemoryNetwork().CreateTransport(IpA), options, loggers: logs);

        await node.StartAsync();

        await Until(() => node.Policy.ListWhitelist().Count(e => e.Source == WhitelistSource.Discovery) == 2, "both valid addresses whitelisted");
        // Each addition is logged just after the whitelist changes (on the discovery thread): wait for the lines too.
        await Until(() => logs.Entries.Count(e => e.Message.Contains("Whitelisted masternode from discovery", StringComparison.Ordinal)) == 2,
            "both additions logged");
        Assert.All(logs.Entries.Where(e => e.Message.Contains("Whitelisted masternode from discovery", StringComparison.Ordinal)),
            e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.DoesNotContain(node.Policy.ListWhitelist(), e => e.Source == WhitelistSource.Discovery && (e.Permissions & PeerPermissions.NoBan) != 0);
    }

    [Fact]
    public async Task Start_ConfigWhitelist_LogsEachEntryOnce()
    {
        var logs = new CapturingLoggerFactory();
        var options = new ConnectionManagerOptions { WhitelistedPeers = ["10.0.0.5", "noban@10.1.0.0/16"], DefaultPort = 24200, TargetOutbound = 0 };
        await using var node = new TestNode(new InMemoryNetwork().CreateTransport(IpA), options, loggers: logs);

        await node.StartAsync();

        var lines = logs.Entries.Where(e => e.Message.StartsWith("Whitelisted peer from config: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.Single(lines, e => e.Message.Contains("10.0.0.5", StringComparison.Ordinal));
        Assert.Single(lines, e => e.Message.Contains("10.1.0.0/16", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Discovery_ServerFails_FallsBackToBootstrapPeersWithoutBlockingStart()
    {
        await using var server = new TestHttpServer();
        var url = server.MapText("/peers", "oops", status: 500);
        using var http = new HttpClient();
        var options = new ConnectionManagerOptions { DiscoveryUrl = url, DiscoveryHttpClient = http, BootstrapPeers = ["10.0.0.8:24200", "10.0.0.9"], DefaultPort = 24200 };
        await using var node = new TestNode(new InMemoryNetwork().CreateTransport(IpA), options);

        await node.StartAsync();

        await Until(() => node.Manager.KnownAddressCount == 2, "bootstrap peers are used");
        Assert.Empty(node.Policy.ListWhitelist());
    }
}
