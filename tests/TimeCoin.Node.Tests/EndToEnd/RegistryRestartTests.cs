using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>
/// A restarted node restores its masternode registry with the statuses it saved. Found by the whole-network
/// simulation (scenario f at 24 masternodes): a node down for 13 minutes came back showing a masternode active that
/// had gone down 14 minutes earlier, until its first registry evaluation 30 s later.
/// </summary>
public class RegistryRestartTests
{
    private static Task<TimeNode> Start(ChainParameters chain, KeyPair identity, string dataDir, TimeProvider time) =>
        TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dataDir,
            Identity = identity,
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
        }, new TcpTransport(), time, NullLoggerFactory.Instance);

    [Fact]
    public async Task Restart_MasternodeSilentLongerThanTheOfflineLimit_NotShownActiveAfterStart()
    {
        using var dir = new TempDirectory();
        using var key = KeyPair.Generate();
        using var masternode = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], time.GetUtcNow().ToUnixTimeSeconds(), 1);
        await using (var node = await Start(chain, key, dir.Path, time))
        {
            var now = time.GetUtcNow();
            Assert.True(node.Masternodes.Accept(MasternodeAnnouncement.Create(masternode, chain.NetworkName, "10.9.0.1:24000", MasternodeTier.Free, now)).Accepted);
            Assert.True(node.Masternodes.Accept(Heartbeat.Create(masternode, chain.NetworkName, "10.9.0.1:24000", 1, now, 0)).Accepted);
            Assert.Single(node.Masternodes.ActiveMasternodes);
        }

        time.Advance(new HeartbeatOptions().OfflineAfter + TimeSpan.FromMinutes(10));
        await using var again = await Start(chain, key, dir.Path, time);

        Assert.NotNull(again.Masternodes.Find(masternode.PublicKey)); // restored, but not active
        Assert.Empty(again.Masternodes.ActiveMasternodes);
    }
}
