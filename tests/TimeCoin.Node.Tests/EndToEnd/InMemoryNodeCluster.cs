using Microsoft.Extensions.Logging;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

/// <summary>Whole nodes on one in-memory network (10.0.0.x, port 24200), each optionally with RPC and a metrics endpoint on loopback TCP.</summary>
internal sealed class InMemoryNodeCluster : IAsyncDisposable
{
    public const int Port = 24200;
    private readonly InMemoryNetwork _network = new();
    private readonly List<TimeNode> _nodes = [];
    private readonly List<TempDirectory> _dirs = [];

    public InMemoryNodeCluster(int producers)
    {
        Keys = Enumerable.Range(0, producers).Select(_ => KeyPair.Generate()).ToList();
        Chain = ChainParameters.CreateDevnet(Keys.Select(k => k.PublicKey), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1000, 1);
    }

    public List<KeyPair> Keys { get; }

    public ChainParameters Chain { get; }

    public static IPAddress Ip(int i) => IPAddress.Parse($"10.0.0.{i + 1}");

    public static NodeAlertMonitorOptions FastAlerts => new() { StartupGrace = TimeSpan.Zero, EvaluateInterval = TimeSpan.FromMilliseconds(100) };

    public async Task<(TimeNode Node, string DataDir)> StartAsync(int index, IReadOnlyList<string> whitelist, bool rpc = false, bool metrics = false,
        string? dataDir = null, ILoggerFactory? loggers = null)
    {
        if (dataDir is null)
        {
            var dir = new TempDirectory();
            _dirs.Add(dir);
            dataDir = dir.Path;
        }
        var node = await TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = Chain,
            DataDirectory = dataDir,
            Identity = index < Keys.Count ? Keys[index] : KeyPair.Generate(),
            Seed = index + 1,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(Ip(index), Port),
                DefaultPort = Port,
                WhitelistedPeers = whitelist,
            },
            Alerts = FastAlerts,
            Rpc = rpc ? new RpcServerOptions { Port = 0, CookieFilePath = Path.Combine(dataDir, ".cookie") } : null,
            MetricsListen = metrics ? new IPEndPoint(IPAddress.Loopback, 0) : null,
        }, _network.CreateTransport(Ip(index)), TimeProvider.System, loggers ?? NullLoggerFactory.Instance);
        _nodes.Add(node);
        return (node, dataDir);
    }

    public async Task StopAsync(TimeNode node)
    {
        _nodes.Remove(node);
        await node.DisposeAsync();
    }

    /// <summary>
    /// Stops <paramref name="node"/> as a crash or a cut cable would: its connections break without a goodbye (no one
    /// can dial it meanwhile), then it is disposed with nothing left to say goodbye on.
    /// </summary>
    public async Task CrashAsync(TimeNode node)
    {
        var ip = node.Connections.LocalEndPoint!.Address;
        _network.SetDialFilter((from, to) => !from.Equals(ip) && !to.Address.Equals(ip));
        try
        {
            _network.BreakConnections(ip);
            await Eventually.True(() => node.Connections.Peers.Count == 0, TimeSpan.FromSeconds(30), () => "connections still open after the break");
            await StopAsync(node);
        }
        finally
        {
            _network.SetDialFilter(null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        foreach (var dir in _dirs)
            dir.Dispose();
    }
}
