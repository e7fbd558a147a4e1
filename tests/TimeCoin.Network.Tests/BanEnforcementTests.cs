using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>A ban bites at once whoever places it, and config bans follow the config file (issue 9, finding 7).</summary>
public class BanEnforcementTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.1.0.1");

    private static ConnectionManagerOptions Options(params string[] blacklist) => new()
    {
        ListenEndPoint = new IPEndPoint(NodeIp, 24200),
        DefaultPort = 24200,
        TargetOutbound = 0,
        BlacklistedPeers = blacklist,
    };

    [Theory]
    [InlineData(BanSource.Rpc)]
    [InlineData(BanSource.Config)]
    [InlineData(BanSource.Automatic)]
    public async Task Ban_AnySource_ClosesEveryLiveConnectionInItsRange(BanSource source)
    {
        var network = new InMemoryNetwork();
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options());
        await node.StartAsync();
        await using var inRange1 = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.9.0.5")), node.EndPoint);
        await using var inRange2 = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.9.0.6")), node.EndPoint);
        await using var outside = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.8.0.5")), node.EndPoint);
        await Until(() => node.Manager.Peers.Count == 3, "three peers connected");

        Assert.True(node.Policy.Ban(IpRange.Parse("10.9.0.0/16"), TimeSpan.FromHours(1), "test ban", source));

        await Until(() => node.Manager.Peers.Count == 1, "both peers in the banned range are disconnected");
        var survivor = Assert.Single(node.Manager.Peers);
        Assert.Equal(outside.Key.PublicKey, survivor.NodeId);
        Assert.Contains(node.Manager.RecentDisconnects, d => d.Reason.StartsWith("banned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ConfigBanRemovedFromTheFile_NoLongerBanned()
    {
        var network = new InMemoryNetwork();
        var removed = IPAddress.Parse("10.7.0.1");
        var kept = IPAddress.Parse("10.7.0.2");
        // The previous run's config listed both; the policy was saved and is restored before the manager starts.
        var previous = new PeerPolicy(new PeerPolicyOptions(), TimeProvider.System);
        previous.Ban(IpRange.FromAddress(removed), null, "config blacklisted_peers", BanSource.Config);
        previous.Ban(IpRange.FromAddress(kept), null, "config blacklisted_peers", BanSource.Config);
        previous.Ban(IpRange.Parse("10.6.0.1"), null, "operator", BanSource.Rpc);
        await using var node = new TestNode(network.CreateTransport(NodeIp), Options("10.7.0.2"));
        node.Policy.Restore(previous.Snapshot());

        await node.StartAsync();

        Assert.False(node.Policy.IsBanned(removed));
        Assert.True(node.Policy.IsBanned(kept));
        Assert.True(node.Policy.IsBanned(IPAddress.Parse("10.6.0.1"))); // an rpc ban is not the config's to lift
    }
}
