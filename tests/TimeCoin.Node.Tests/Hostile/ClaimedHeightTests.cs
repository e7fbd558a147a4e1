using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Production;
using TimeCoin.Node.Tests.EndToEnd;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hostile;

/// <summary>A peer's claimed height never stops a federation member from producing (issue 9, finding 1).</summary>
public sealed class ClaimedHeightTests : IAsyncDisposable
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.3.0.1");
    private readonly InMemoryNetwork _network = new();
    private readonly TempDirectory _dir = new();
    private readonly KeyPair _producer = KeyPair.Generate();
    private TimeNode? _node;

    [Fact]
    public async Task Production_PeerClaimsMaximumHeightInHandshakeAndPongs_ProducerKeepsProducing()
    {
        var chain = ChainParameters.CreateDevnet([_producer.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 100, 1);
        _node = await TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = _dir.Path,
            Identity = _producer,
            Seed = 1,
            SingleNodeDevnet = false,
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(NodeIp, 24200), DefaultPort = 24200 },
        }, _network.CreateTransport(NodeIp), TimeProvider.System, NullLoggerFactory.Instance);
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<ProductionOutcome>();
        _node.Producer.SlotHandled += r => outcomes.Enqueue(r.Outcome);

        await using var liar = await HostilePeer.ConnectAsync(_network.CreateTransport(IPAddress.Parse("10.3.0.66")), _node.Connections.LocalEndPoint!,
            chain, claimedHeight: long.MaxValue);
        Assert.True(liar.HandshakeSucceeded);
        liar.PongHeight = ulong.MaxValue;
        await Eventually.True(() => _node.Connections.Peers.Count == 1, TimeSpan.FromSeconds(10), () => "the liar is connected");
        long start = _node.Chain.State.Height;

        await Eventually.True(() => _node.Chain.State.Height >= start + 3, TimeSpan.FromSeconds(20),
            () => $"height {_node.Chain.State.Height} (from {start}); outcomes {string.Join(",", outcomes.TakeLast(5))}");

        Assert.Single(_node.Connections.Peers); // production went on while the liar stayed connected
        Assert.DoesNotContain(ProductionOutcome.Behind, outcomes);
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
            await _node.DisposeAsync();
        _producer.Dispose();
        _dir.Dispose();
    }
}
