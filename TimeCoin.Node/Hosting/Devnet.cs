using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// A local devnet: a fresh federation of <see cref="DevnetOptions.Nodes"/> keys, a genesis made on the fly, and one
/// <see cref="TimeNode"/> per key on 127.0.0.1 (real TCP), each producing its own slots and syncing from the others.
/// A kept data directory (genesis.json and node-i/masternode.key) is continued by the next start on it.
/// </summary>
public sealed class Devnet : IAsyncDisposable
{
    private readonly List<TimeNode?> _nodes;
    private readonly List<KeyPair> _keys;
    private readonly bool _ownsDirectory;
    private readonly ILoggerFactory _loggerFactory;
    private readonly DevnetOptions _options;
    private readonly int[] _ports;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);

    private Devnet(DevnetOptions options, ChainParameters chain, string root, bool ownsDirectory, List<KeyPair> keys, ILoggerFactory loggerFactory)
    {
        _options = options;
        Chain = chain;
        Root = root;
        _ownsDirectory = ownsDirectory;
        _keys = keys;
        _loggerFactory = loggerFactory;
        _nodes = [.. Enumerable.Repeat<TimeNode?>(null, keys.Count)];
        _ports = new int[keys.Count];
        Links = options.Chaos ? new DevnetLinks() : null;
    }

    /// <summary>The link faults of <c>--chaos</c> (stalls, partitions); null when chaos is off (plain TCP).</summary>
    internal DevnetLinks? Links { get; }

    /// <summary>The devnet's chain parameters (its genesis is written to <c>genesis.json</c> in <see cref="Root"/>).</summary>
    public ChainParameters Chain { get; }

    /// <summary>The directory holding every node's data directory.</summary>
    public string Root { get; }

    /// <summary>The nodes running now (a late joiner is null until it starts, a stopped node null until restarted).</summary>
    public IReadOnlyList<TimeNode?> Nodes => _nodes;

    /// <summary>
    /// Creates the federation and genesis and starts the nodes (a late joiner via <see cref="StartLateJoinerAsync"/>).
    /// Each node's key is kept in <c>node-i/masternode.key</c> beside <c>genesis.json</c>, so a
    /// <see cref="DevnetOptions.DataDirectory"/> that already holds a devnet is continued: its genesis and keys are
    /// read back and nothing is overwritten. A kept devnet that cannot be continued (no key kept, another node count or
    /// block time, keys that are not the genesis's federation) is refused before anything is written or started.
    /// </summary>
    /// <exception cref="DevnetDataException">The data directory holds a devnet that cannot be continued with these
    /// options; the message names the file or option.</exception>
    /// <exception cref="IOException">A file cannot be written or a port is in use (<see cref="TimeNode.StartAsync"/>).</exception>
    public static async Task<Devnet> StartAsync(DevnetOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        if (options.Nodes is < 1 or > DevnetLayout.MaxNodes)
            throw new ArgumentOutOfRangeException(nameof(options), $"A devnet has 1 to {DevnetLayout.MaxNodes} nodes, got {options.Nodes}.");
        bool owns = options.DataDirectory is null;
        var root = Path.GetFullPath(options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "timecoin-devnet-" + Guid.NewGuid().ToString("N")[..8]));
        var (chain, keys) = owns ? (null, null) : ReadKept(root, options);
        Devnet? devnet = null;
        try
        {
            if (chain is null || keys is null)
            {
                keys = Enumerable.Range(0, options.Nodes).Select(_ => KeyPair.Generate()).ToList();
                chain = ChainParameters.CreateDevnet(keys.Select(k => k.PublicKey), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), options.BlockTimeSeconds);
                Directory.CreateDirectory(root);
                for (int i = 0; i < keys.Count; i++)
                    NodeKeyFile.Save(KeyPath(root, i), keys[i]);
                // Last, and never over an existing file: a genesis.json present means a devnet whose keys are all kept.
                await using (var file = new FileStream(DevnetLayout.GenesisPath(root), FileMode.CreateNew, FileAccess.Write))
                await using (var writer = new StreamWriter(file))
                    await writer.WriteAsync(GenesisDocument.ToJson(chain).AsMemory(), cancellationToken);
            }

            devnet = new Devnet(options, chain, root, owns, keys, loggerFactory);
            int startNow = options.LateJoinDelay > TimeSpan.Zero && options.Nodes > 1 ? options.Nodes - 1 : options.Nodes;
            for (int i = 0; i < startNow; i++)
                await devnet.StartNodeAsync(i, cancellationToken);
            return devnet;
        }
        catch
        {
            // The nodes started so far stop, and a temporary root is removed; a kept directory keeps what it holds.
            if (devnet is not null)
                await devnet.DisposeAsync();
            else
            {
                foreach (var key in keys ?? [])
                    key.Dispose();
                if (owns)
                    DeleteDirectory(root);
            }
            throw;
        }
    }

    private static string KeyPath(string root, int index) => DevnetLayout.KeyPath(DevnetLayout.NodeDirectory(root, index));

    /// <summary>The genesis and keys of a devnet kept in <paramref name="root"/>, or nulls when it holds none.</summary>
    private static (ChainParameters?, List<KeyPair>?) ReadKept(string root, DevnetOptions options)
    {
        var genesisPath = DevnetLayout.GenesisPath(root);
        if (!File.Exists(genesisPath))
        {
            if (Enumerable.Range(0, options.Nodes).Select(i => DevnetLayout.NodeDirectory(root, i)).FirstOrDefault(Directory.Exists) is { } nodeDir)
                throw new DevnetDataException($"'{nodeDir}' exists but '{genesisPath}' does not, so its chain cannot be continued; choose another --datadir.");
            return (null, null);
        }
        if (!GenesisDocument.TryParse(File.ReadAllText(genesisPath), out var chain, out var error))
            throw new DevnetDataException($"'{genesisPath}': {error}");
        if (chain.Federation.Count != options.Nodes || chain.BlockTimeSeconds != options.BlockTimeSeconds)
            throw new DevnetDataException($"'{genesisPath}' is a devnet of {chain.Federation.Count} node(s) with a {chain.BlockTimeSeconds} s block time; " +
                $"continue it with --nodes {chain.Federation.Count} --block-time {chain.BlockTimeSeconds}, or choose another --datadir.");
        var keys = new List<KeyPair>();
        try
        {
            for (int i = 0; i < options.Nodes; i++)
            {
                var path = KeyPath(root, i);
                if (!File.Exists(path))
                    throw new DevnetDataException($"'{path}' does not exist: the devnet in '{root}' kept no key for node {i} " +
                        "(it was made before devnet kept its keys), so its chains cannot be continued; choose another --datadir.");
                var key = NodeKeyFile.Load(path);
                keys.Add(key);
                if (!chain.Federation.Contains(key.PublicKey) || keys.Take(i).Any(k => k.PublicKey.Equals(key.PublicKey)))
                    throw new DevnetDataException($"'{path}' holds key {key.PublicKey.ToShortString()}, which is not in the federation of '{genesisPath}'; choose another --datadir.");
            }
            return (chain, keys);
        }
        catch (InvalidDataException ex)
        {
            foreach (var key in keys)
                key.Dispose();
            throw new DevnetDataException(ex.Message);
        }
        catch
        {
            foreach (var key in keys)
                key.Dispose();
            throw;
        }
    }

    private static void DeleteDirectory(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Starts the last node if it was held back.</summary>
    public Task StartLateJoinerAsync(CancellationToken cancellationToken = default) =>
        _nodes[^1] is null ? StartNodeAsync(_nodes.Count - 1, cancellationToken) : Task.CompletedTask;

    /// <summary>Stops node <paramref name="index"/> (as a crash would, but cleanly); its data stays for a restart.</summary>
    public async Task StopNodeAsync(int index)
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_nodes[index] is { } node)
            {
                _nodes[index] = null;
                await node.DisposeAsync();
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>True once node <paramref name="index"/> has run (it has a port), whether or not it runs now.</summary>
    public bool HasStarted(int index) => _ports[index] != 0;

    /// <summary>Starts node <paramref name="index"/> again on its data directory and its earlier port.</summary>
    public Task RestartNodeAsync(int index, CancellationToken cancellationToken = default) => StartNodeAsync(index, cancellationToken);

    private async Task StartNodeAsync(int index, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_nodes[index] is null)
                await StartNodeLockedAsync(index, cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StartNodeLockedAsync(int index, CancellationToken cancellationToken)
    {
        // Every node's address is known to the others: those running now, and the earlier port of a stopped one.
        var bootstrap = Enumerable.Range(0, _ports.Length).Where(i => i != index && _ports[i] != 0)
            .Select(i => new IPEndPoint(IPAddress.Loopback, _ports[i]).ToString()).ToList();
        var dataDir = DevnetLayout.NodeDirectory(Root, index);
        var options = new TimeNodeOptions
        {
            Chain = Chain,
            DataDirectory = dataDir,
            Identity = _keys[index],
            IsMasternode = true,
            SingleNodeDevnet = _keys.Count == 1,
            Seed = index + 1,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, _ports[index]),
                BootstrapPeers = bootstrap,
                TargetOutbound = Math.Min(8, _keys.Count - 1),
                // Every devnet node is local and trusted: lenient liveness, priority sync, never banned.
                WhitelistedPeers = ["127.0.0.0/8"],
                // Under chaos, liveness runs fast enough for a stalled link to show missed pongs within seconds.
                Ping = _options.Chaos ? ChaosPing : TimeCoin.Core.Liveness.PingOptions.Default,
            },
            Rpc = index == 0 && _options.RpcPort > 0
                ? new RpcServerOptions { Port = _options.RpcPort, CookieFilePath = Path.Combine(dataDir, ".cookie") }
                : null,
        };
        ITransport transport = Links is null ? new TcpTransport() : Links.TransportFor(index, new TcpTransport());
        TimeNode node;
        try
        {
            node = await TimeNode.StartAsync(options, transport, TimeProvider.System, _loggerFactory, cancellationToken);
        }
        catch (TransportException ex) when (_ports[index] != 0 && ex.InnerException is System.Net.Sockets.SocketException
                                             { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
        {
            // The earlier port came from bind(0), an ephemeral one, and something on the machine was given it while the
            // node was down: it comes back on a new port. It dials the others (its bootstrap list); they keep redialing
            // the old port, which does no harm (a stranger there fails the handshake).
            options = options with { Connections = options.Connections with { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) } };
            node = await TimeNode.StartAsync(options, transport, TimeProvider.System, _loggerFactory, cancellationToken);
        }
        _ports[index] = node.Connections.LocalEndPoint!.Port;
        _nodes[index] = node;
    }

    private static readonly TimeCoin.Core.Liveness.PingOptions ChaosPing = TimeCoin.Core.Liveness.PingOptions.Default with
    {
        PingInterval = TimeSpan.FromSeconds(2),
        PongTimeout = TimeSpan.FromSeconds(4),
        MaxMissedPongs = 3,
        LenientPongTimeout = TimeSpan.FromSeconds(4),
        LenientMaxMissedPongs = 5,
        KeepAliveInterval = TimeSpan.FromSeconds(2),
    };

    /// <summary>The heights of the nodes (-1 for one not started yet).</summary>
    public IReadOnlyList<long> Heights() => _nodes.Select(n => n?.Chain.State.Height ?? -1).ToList();

    /// <summary>
    /// Stops every node and deletes a temporary root. Every node is asked to stop before the first one closes, so the
    /// ones stopped last raise no alerts about the ones stopped first.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync();
        foreach (var node in _nodes)
            node?.RequestStop();
        foreach (var node in _nodes)
            if (node is not null)
                await node.DisposeAsync();
        _lifecycle.Dispose();
        foreach (var key in _keys)
            key.Dispose();
        if (_ownsDirectory)
            DeleteDirectory(Root);
    }
}
