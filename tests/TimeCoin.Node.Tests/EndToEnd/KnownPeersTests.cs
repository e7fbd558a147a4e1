using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Storage;
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

    /// <summary>A node without bootstrap peers on a data directory whose store already holds <paramref name="stored"/>.</summary>
    private static Task<TimeNode> StartOnStore(string dataDir, KeyPair identity, params KnownPeerRow[] stored)
    {
        using (var db = NodeDatabase.Open(dataDir))
            db.UpsertKnownPeers(stored);
        using var federation = KeyPair.Generate(); // another node's key: this one only restores, it does not produce
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);
        return Start(chain, identity, dataDir);
    }

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
        var seen = DateTimeOffset.UtcNow.AddDays(-1);
        const string Given = "198.51.100.1:24100", Kept = "198.51.100.2:24100"; // TEST-NET-2: nothing answers

        await (await StartOnStore(dir.Path, key,
            new KnownPeerRow(Given, "gossip", seen, null, TimeNode.KnownPeerFailureLimit),
            new KnownPeerRow(Kept, "gossip", seen, seen, 0))).DisposeAsync();

        using var after = NodeDatabase.Open(dir.Path);
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
        var lastUp = DateTimeOffset.UtcNow.AddDays(-20);
        const string Recent = "198.51.100.11:24100", Older = "198.51.100.12:24100", Stale = "198.51.100.13:24100", Never = "198.51.100.14:24100";

        await using (var node = await StartOnStore(dir.Path, key,
                         new KnownPeerRow(Recent, "gossip", lastUp, lastUp, 40),
                         new KnownPeerRow(Older, "gossip", lastUp, lastUp.AddDays(-6), 40),
                         new KnownPeerRow(Stale, "gossip", lastUp, lastUp.AddDays(-8), 40),
                         new KnownPeerRow(Never, "gossip", lastUp, null, 40)))
        {
            var book = node.Connections.GetKnownAddresses().Select(k => k.EndPoint.ToString()).ToHashSet();
            Assert.Equal([Recent, Older], book);
        }

        using var after = NodeDatabase.Open(dir.Path);
        Assert.Equal([Recent, Older], after.LoadKnownPeers().Select(r => r.Endpoint).ToArray());
    }
}
