using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>
/// Whole nodes (the real connection layer, sync coordinator and producers) over the in-memory transport with
/// fault injection: the catch-up and partition scenarios end to end.
/// </summary>
public sealed class InMemoryNetworkNodeTests : IAsyncDisposable
{
    private const int Port = 24200;
    private readonly InMemoryNetwork _network = new();
    private readonly List<TimeNode> _nodes = [];
    private readonly List<TempDirectory> _dirs = [];
    private readonly List<KeyPair> _keys = [];

    private static IPAddress Ip(int i) => IPAddress.Parse($"10.0.0.{i + 1}");

    private async Task<TimeNode> StartNode(int index, ChainParameters chain, KeyPair identity, IEnumerable<int> bootstrap)
    {
        var dir = new TempDirectory();
        _dirs.Add(dir);
        var node = await TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dir.Path,
            Identity = identity,
            Seed = index + 1,
            SingleNodeDevnet = false,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(Ip(index), Port),
                DefaultPort = Port,
                BootstrapPeers = bootstrap.Select(b => $"{Ip(b)}:{Port}").ToList(),
                WhitelistedPeers = ["10.0.0.0/8"],
            },
        }, _network.CreateTransport(Ip(index)), TimeProvider.System, NullLoggerFactory.Instance);
        _nodes.Add(node);
        return node;
    }

    private KeyPair NewKey()
    {
        var key = KeyPair.Generate();
        _keys.Add(key);
        return key;
    }


    [Fact]
    public async Task Node500BlocksBehind_CatchesUpFromItsPeer()
    {
        var producer = NewKey();
        // Genesis far enough back that 500 one-second slots are all in the past.
        var chain = ChainParameters.CreateDevnet([producer.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 10_000, 1);
        var ahead = await StartNode(0, chain, producer, []);
        ahead.Producer.Generate(500);
        Assert.True(ahead.Chain.State.Height >= 500);

        var behind = await StartNode(1, chain, NewKey(), [0]);
        await Eventually.True(() => behind.Chain.State.Height >= 500 && behind.Chain.State.GetHashAtHeight(500) == ahead.Chain.State.GetHashAtHeight(500),
            TimeSpan.FromSeconds(60), () => $"behind at {behind.Chain.State.Height}, ahead at {ahead.Chain.State.Height}");
    }

    [Fact]
    public async Task PartitionedHalves_EachExtendTheirChain_ThenHealAndConverge()
    {
        var keys = Enumerable.Range(0, 4).Select(_ => NewKey()).ToList();
        var chain = ChainParameters.CreateDevnet(keys.Select(k => k.PublicKey), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);
        for (int i = 0; i < 4; i++)
            await StartNode(i, chain, keys[i], Enumerable.Range(0, i));
        await Eventually.True(() => _nodes.All(n => n.Connections.Peers.Count == 3 && n.Chain.State.Height >= 2),
            TimeSpan.FromSeconds(60), () => $"heights {Heights()}, peers {string.Join(',', _nodes.Select(n => n.Connections.Peers.Count))}");

        // Split {0,1} from {2,3}: no dial across, live connections across broken.
        static int Half(IPAddress ip) => ip.GetAddressBytes()[3] <= 2 ? 0 : 1;
        _network.SetDialFilter((from, to) => Half(from) == Half(to.Address));
        _network.BreakConnections((a, b) => Half(a.Address) != Half(b.Address));
        long splitHeight = _nodes.Max(n => n.Chain.State.Height);
        // Each half extends its own chain: the halves' blocks at splitHeight + 3 differ, within a half they agree.
        long probe = splitHeight + 3;
        await Eventually.True(() => _nodes.All(n => n.Chain.State.Height >= probe + 1)
                              && _nodes[0].Chain.State.GetHashAtHeight(probe) == _nodes[1].Chain.State.GetHashAtHeight(probe)
                              && _nodes[2].Chain.State.GetHashAtHeight(probe) == _nodes[3].Chain.State.GetHashAtHeight(probe)
                              && _nodes[0].Chain.State.GetHashAtHeight(probe) != _nodes[2].Chain.State.GetHashAtHeight(probe),
            TimeSpan.FromSeconds(60), () => $"heights {Heights()}");

        // Heal: every node ends on one tip.
        _network.SetDialFilter(null);
        foreach (var node in _nodes)
            foreach (var other in Enumerable.Range(0, 4))
                node.Connections.AddPeer(new IPEndPoint(Ip(other), Port), persistent: true);
        await Eventually.True(() => _nodes.Select(n => n.Chain.State.GetHashAtHeight(splitHeight + 3)).Distinct().Count() == 1
                              && _nodes.All(n => n.Chain.State.Height >= splitHeight + 3),
            TimeSpan.FromSeconds(90), () => $"heights {Heights()}, peers {string.Join(',', _nodes.Select(n => n.Connections.Peers.Count))}");
    }

    private string Heights() => string.Join(',', _nodes.Select(n => n.Chain.State.Height));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        foreach (var key in _keys)
            key.Dispose();
        foreach (var dir in _dirs)
            dir.Dispose();
    }
}
