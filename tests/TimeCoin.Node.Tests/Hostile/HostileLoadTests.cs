using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Liveness;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.EndToEnd;
using TimeCoin.Node.Tests.Storage;
using TimeCoin.Sync;
using Xunit.Abstractions;

namespace TimeCoin.Node.Tests.Hostile;

/// <summary>
/// Issue 9's load test over real loopback TCP: one producing node and a well-behaved peer syncing from it, while
/// attackers at other loopback addresses (a) flood unsolicited 4 MiB Blocks, (b) claim absurd heights, (c) send
/// 10,000 relayed and forged masternode announcements, and (d) fill the inbound limit with idle connections.
/// </summary>
public sealed class HostileLoadTests(ITestOutputHelper output) : IAsyncDisposable
{
    /// <summary>The stated bound on the node process's managed heap after the attack (forced collection).</summary>
    private const long ManagedHeapBoundBytes = 512L * 1024 * 1024;

    private readonly List<TempDirectory> _dirs = [];
    private readonly List<KeyPair> _keys = [];
    private readonly List<TimeNode> _nodes = [];
    private readonly List<HostilePeer> _attackers = [];

    private static IPAddress Loopback(int last) => IPAddress.Parse($"127.0.0.{last}");

    private async Task<TimeNode> StartNode(ChainParameters chain, KeyPair identity, TimeNodeOptions template)
    {
        var dir = new TempDirectory();
        _dirs.Add(dir);
        var node = await TimeNode.StartAsync(template with { Chain = chain, DataDirectory = dir.Path, Identity = identity },
            new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);
        _nodes.Add(node);
        return node;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task LoadTest_FourAttacksAtOnce_GoodPeerStaysConnectedAndInSyncProductionContinuesAttackersBannedOrDropped()
    {
        var producerKey = Key();
        var chain = ChainParameters.CreateDevnet([producerKey.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 30, 1);
        var node = await StartNode(chain, producerKey, new TimeNodeOptions
        {
            Chain = chain, DataDirectory = "", Identity = producerKey,
            SingleNodeDevnet = true, // produces from the start; the good peer joins a moving chain
            Seed = 1,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                DefaultPort = 24200,
                TargetOutbound = 0,
                AutoWhitelistMasternodes = true,
                // Short enough that the idle connections are cut well within the attack's 45 s (two missed pongs: about
                // 14 s), long enough that the good peer is not cut by a stall of the test process (key generation and
                // the 4 MiB frames share two cores with the other test projects in CI; 2 s allowed a 4 s stall only).
                Ping = PingOptions.Default with { PingInterval = TimeSpan.FromSeconds(2), PongTimeout = TimeSpan.FromSeconds(5), MaxMissedPongs = 2, CheckInterval = TimeSpan.FromSeconds(1) },
            },
            Policy = new PeerPolicyOptions { MaxInbound = 40, ReservedInboundSlots = 4 },
            Sync = new SyncCoordinatorOptions { Planner = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromSeconds(4) } },
        });
        var endpoint = node.Connections.LocalEndPoint!;
        var good = await StartNode(chain, Key(), new TimeNodeOptions
        {
            Chain = chain, DataDirectory = "", Identity = producerKey, Seed = 2,
            Connections = new ConnectionManagerOptions { DefaultPort = 24200, PersistentPeers = [endpoint.ToString()] },
        });
        await Eventually.True(() => good.Connections.Peers.Count == 1 && node.Connections.FindPeer(good.Connections.NodeId) is not null
                                    && good.Chain.State.Height >= node.Chain.State.Height - 1,
            TimeSpan.FromSeconds(30), () => $"good at {good.Chain.State.Height}, node at {node.Chain.State.Height}");
        var goodAtNode = node.Connections.FindPeer(good.Connections.NodeId)!;
        Assert.NotNull(goodAtNode);
        long startHeight = node.Chain.State.Height;
        var memory = Stopwatch.StartNew();
        long peakWorkingSet = Environment.WorkingSet;
        using var sampling = new Timer(_ => peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet), null, 0, 100);

        // (a) unsolicited 4 MiB Blocks from 127.0.0.2, reconnecting after each drop.
        var flooder = Task.Run(async () =>
        {
            var block = new byte[FrameFormat.DefaultMaxPayloadLength - 64];
            int sent = 0;
            for (int attempt = 0; attempt < 10; attempt++)
            {
                try
                {
                    var attacker = await Connect(chain, endpoint, 2, 5);
                    if (!attacker.HandshakeSucceeded)
                        continue;
                    while (!attacker.Closed && sent < 40 && await attacker.SendAsync(new BlocksMessage([block])))
                        sent++;
                }
                catch (Exception)
                {
                }
            }
            return sent;
        });

        // (b) absurd heights from 127.0.0.3: handshake and every pong claim 2^63-1.
        var liar = await Connect(chain, endpoint, 3, long.MaxValue);
        liar.PongHeight = ulong.MaxValue;

        // (c) 10,000 announcements from 127.0.0.4: genuinely signed ones for made-up masternodes at made-up addresses
        // (relayed: the sender is not the masternode), in Masternodes lists of 2,000 (unasked: each is dropped unread and
        // scored as unrequested data), then forged ones. The made-up
        // addresses are loopback ones with nothing listening, so the bounded dialing never leaves the machine.
        var announcer = await Connect(chain, endpoint, 4, 5);
        var announcements = Enumerable.Range(0, 9_000).Select(i =>
        {
            using var key = KeyPair.Generate();
            return (ReadOnlyMemory<byte>)MasternodeAnnouncement.Create(key, chain.NetworkName, $"127.1.{i / 250}.{i % 250 + 1}:1",
                MasternodeTier.Free, DateTimeOffset.UtcNow).Encode();
        }).ToList();
        foreach (var batch in announcements.Chunk(ProtocolLimits.MaxMasternodesPerMessage))
            await announcer.SendAsync(new MasternodesMessage(batch));
        for (int i = 0; i < 1_000 && !announcer.Closed; i++)
        {
            var forged = announcements[i].ToArray();
            forged[^1] ^= 0x5A;
            if (!await announcer.SendAsync(new MasternodeAnnouncementMessage(forged)))
                break;
        }

        // (d) idle connections up to the inbound limit from 127.0.0.10 and up (three per address, the per-IP limit).
        var idle = new List<HostilePeer>();
        for (int i = 0; i < 45; i++)
        {
            try
            {
                var peer = await Connect(chain, endpoint, 10 + i / 3, 5);
                peer.AnswerPings = false;
                idle.Add(peer);
            }
            catch (Exception)
            {
                // refused at accept: the limit holds
            }
        }
        int flooded = await flooder;

        // Let the attack run its course while the chain moves on: the liar is reported every ClaimProofTimeout
        // (three reports ban it), idle connections miss their pongs.
        await Eventually.True(() => (node.Policy.IsBanned(Loopback(3)) || liar.Closed) && idle.All(p => p.Closed || !p.HandshakeSucceeded),
            TimeSpan.FromSeconds(45), () => $"liar banned {node.Policy.IsBanned(Loopback(3))}, idle still open {idle.Count(p => !p.Closed && p.HandshakeSucceeded)}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        long endHeight = node.Chain.State.Height;
        await Eventually.True(() => good.Chain.State.Height >= node.Chain.State.Height - 2, TimeSpan.FromSeconds(20),
            () => $"good at {good.Chain.State.Height}, node at {node.Chain.State.Height}");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        var policy = node.Policy;
        output.WriteLine($"attack ran {memory.Elapsed.TotalSeconds:0.0} s: {flooded} unsolicited 4 MiB Blocks sent, 10,000 announcements, {idle.Count} idle connections opened");
        output.WriteLine($"node height {startHeight} -> {endHeight}; good peer at {good.Chain.State.Height}");
        output.WriteLine($"managed heap after the attack {heap / (1024 * 1024)} MiB (bound {ManagedHeapBoundBytes / (1024 * 1024)} MiB); peak working set {peakWorkingSet / (1024 * 1024)} MiB (whole test process)");
        output.WriteLine($"bans: {string.Join(", ", policy.ListBans().Take(10).Select(b => $"{b.Range} ({b.Reason})"))} ({policy.ListBans().Count} in all)");
        output.WriteLine($"inbound now {node.Connections.InboundCount}, refused at accept {node.Connections.RefusedInboundCount}, masternodes known {node.Masternodes.Count}, masternode whitelist entries {policy.ListWhitelist().Count(e => e.Source == WhitelistSource.Masternode)}, known addresses {node.Connections.KnownAddressCount}, outbound {node.Connections.OutboundCount}");

        // The well-behaved peer stayed connected (the very same connection) and in sync.
        Assert.Same(goodAtNode, node.Connections.FindPeer(good.Connections.NodeId));
        Assert.False(goodAtNode.IsClosed);
        // Production went on: about one block a second.
        Assert.True(endHeight - startHeight >= 10, $"only {endHeight - startHeight} blocks produced during the attack");
        // Memory stayed under the stated bound.
        Assert.True(heap < ManagedHeapBoundBytes, $"managed heap {heap} bytes");
        // Attackers banned or dropped.
        Assert.True(policy.IsBanned(Loopback(2)), "the block flooder is banned");
        Assert.True(flooded <= 12, $"the flooder got {flooded} frames through; a ban refuses it at accept");
        Assert.True(policy.IsBanned(Loopback(3)) || liar.Closed, "the height liar is banned or dropped");
        // The announcer is banned for its forged signatures, or dropped first (its pongs wait behind its own flood).
        Assert.True(policy.IsBanned(Loopback(4)) || announcer.Closed, "the announcer is banned or dropped");
        Assert.InRange(node.Masternodes.Count, 0, 9_000); // unasked lists are dropped; what is taken proves nothing
        Assert.True(node.Connections.KnownAddressCount <= 2_000, "the address book is bounded");
        Assert.DoesNotContain(policy.ListWhitelist(), e => e.Source == WhitelistSource.Masternode); // nothing proved
        Assert.True(node.Connections.OutboundCount <= 8, "the made-up masternodes are dialed within the bound");
        Assert.All(idle, p => Assert.True(p.Closed || !p.HandshakeSucceeded, "an idle attacker is still connected"));
        Assert.True(policy.ListBans().All(b => !b.Range.Contains(IPAddress.Loopback)), "the good peer's address is not banned");
    }

    private async Task<HostilePeer> Connect(ChainParameters chain, IPEndPoint endpoint, int last, long claimedHeight)
    {
        var peer = await HostilePeer.ConnectAsync(new TcpTransport { LocalAddress = Loopback(last) }, endpoint, chain, (ulong)claimedHeight);
        lock (_attackers)
            _attackers.Add(peer);
        return peer;
    }

    private KeyPair Key()
    {
        var key = KeyPair.Generate();
        _keys.Add(key);
        return key;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var attacker in _attackers)
            await attacker.DisposeAsync();
        foreach (var node in _nodes)
            await node.DisposeAsync();
        foreach (var key in _keys)
            key.Dispose();
        foreach (var dir in _dirs)
            dir.Dispose();
    }
}
