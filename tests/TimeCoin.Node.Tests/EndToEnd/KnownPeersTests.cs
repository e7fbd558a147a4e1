using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

public class KnownPeersTests
{
    private static Task<TimeNode> Start(ChainParameters chain, KeyPair identity, string dataDir, params string[] bootstrap) =>
        TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dataDir,
            Identity = identity,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                BootstrapPeers = bootstrap,
            },
        }, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);


    [Fact]
    public async Task Restart_WithoutBootstrapPeers_RedialsAddressesLearnedBefore()
    {
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        using var keyA = KeyPair.Generate();
        using var keyB = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);

        await using var a = await Start(chain, keyA, dirA.Path);
        var addressOfA = a.Connections.LocalEndPoint!.ToString();
        await using (var b = await Start(chain, keyB, dirB.Path, addressOfA))
            await Eventually.True(() => b.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "B connects to its bootstrap peer A");

        // Second run of B: no bootstrap list at all, only what its database remembers.
        await using var again = await Start(chain, keyB, dirB.Path);
        await Eventually.True(() => again.Connections.Peers.Any(p => p.NodeId == keyA.PublicKey), TimeSpan.FromSeconds(30), () => "B redials A from its known peers");
    }

    [Fact]
    public async Task Stop_AddressesTheBookNoLongerHolds_AreDeletedFromTheStore()
    {
        // The stored known peers follow the node's bounded address book: a row the book did not take back at start
        // (past the failure limit) is deleted at the next save instead of staying in the table forever.
        using var dir = new TempDirectory();
        using var key = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);
        var seen = DateTimeOffset.UtcNow.AddDays(-1);
        const string Given = "192.0.2.1:24100", Kept = "192.0.2.2:24100";
        using (var db = TimeCoin.Node.Storage.NodeDatabase.Open(dir.Path))
            db.UpsertKnownPeers([
                new TimeCoin.Node.Storage.KnownPeerRow(Given, "gossip", seen, null, TimeNode.KnownPeerFailureLimit),
                new TimeCoin.Node.Storage.KnownPeerRow(Kept, "gossip", seen, seen, 0),
            ]);

        await (await Start(chain, key, dir.Path)).DisposeAsync();

        using var after = TimeCoin.Node.Storage.NodeDatabase.Open(dir.Path);
        var rows = after.LoadKnownPeers();
        Assert.DoesNotContain(rows, r => r.Endpoint == Given);
        var kept = Assert.Single(rows, r => r.Endpoint == Kept);
        Assert.Equal(seen.ToUnixTimeMilliseconds(), kept.LastConnected?.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Restart_AfterAnOutagePutEveryStoredAddressPastTheFailureLimit_ProvedOnesKept()
    {
        // A node whose own network was down kept dialing: every stored address went past the failure limit. A restart
        // then took none of them back, and the next save emptied the table. Connections are judged against the newest
        // one any stored address gave, not against now: a proved peer within a week of it stays.
        using var dir = new TempDirectory();
        using var key = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);
        var lastUp = DateTimeOffset.UtcNow.AddDays(-20);
        const string Recent = "192.0.2.11:24100", Older = "192.0.2.12:24100", Stale = "192.0.2.13:24100", Never = "192.0.2.14:24100";
        using (var db = TimeCoin.Node.Storage.NodeDatabase.Open(dir.Path))
            db.UpsertKnownPeers([
                new TimeCoin.Node.Storage.KnownPeerRow(Recent, "gossip", lastUp, lastUp, 40),
                new TimeCoin.Node.Storage.KnownPeerRow(Older, "gossip", lastUp, lastUp.AddDays(-6), 40),
                new TimeCoin.Node.Storage.KnownPeerRow(Stale, "gossip", lastUp, lastUp.AddDays(-8), 40),
                new TimeCoin.Node.Storage.KnownPeerRow(Never, "gossip", lastUp, null, 40),
            ]);

        await using (var node = await Start(chain, key, dir.Path))
        {
            var book = node.Connections.GetKnownAddresses().Select(k => k.EndPoint.ToString()).ToHashSet();
            Assert.Equal([Recent, Older], book);
        }

        using var after = TimeCoin.Node.Storage.NodeDatabase.Open(dir.Path);
        Assert.Equal([Recent, Older], after.LoadKnownPeers().Select(r => r.Endpoint).ToArray());
    }
}
