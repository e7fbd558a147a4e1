using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using TimeCoin.Network.Transport;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// The links between the nodes of an in-process devnet, for <c>--chaos</c>: a link can be stalled (bytes stop being
/// delivered both ways, the connection stays open) and the network can be partitioned (connections between the two
/// groups are cut and dials across refused). Each node's transport (<see cref="TransportFor"/>) wraps TCP and asks
/// this object before it delivers bytes or dials. Nodes are told apart by port: a node's listen port, and the local
/// port of every connection a node dialed.
/// </summary>
internal sealed class DevnetLinks
{
    private readonly ConcurrentDictionary<int, int> _nodeByPort = new();
    private readonly ConcurrentDictionary<LinkConnection, byte> _live = new();
    private readonly object _gate = new();
    private HashSet<(int, int)> _stalled = [];
    private int[]? _partitionGroup;

    /// <summary>Node <paramref name="index"/>'s transport: TCP with this object's faults applied.</summary>
    public ITransport TransportFor(int index, ITransport inner) => new LinkTransport(this, index, inner);

    /// <summary>Records that <paramref name="index"/> listens on <paramref name="port"/>.</summary>
    public void RegisterListenPort(int index, int port) => _nodeByPort[port] = index;

    /// <summary>Stalls or releases the link between two nodes.</summary>
    public void SetStalled(int a, int b, bool stalled)
    {
        lock (_gate)
        {
            var next = new HashSet<(int, int)>(_stalled);
            if (stalled) next.Add(Key(a, b)); else next.Remove(Key(a, b));
            _stalled = next;
        }
    }

    /// <summary>
    /// Splits the nodes: <paramref name="group"/>[i] is node i's side; null heals. Cuts links across at once: both ends of
    /// each such link are closed (every node of the devnet is in this process), so each end's FIN ends the other end's
    /// read at once; neither waits for the TCP close's drain of up to 2 s.
    /// </summary>
    public void SetPartition(int[]? group)
    {
        lock (_gate)
            _partitionGroup = group;
        if (group is null)
            return;
        foreach (var connection in _live.Keys)
            if (connection.Remote() is { } remote && Partitioned(connection.Owner, remote))
                connection.Close();
    }

    /// <summary>True while a partition is in force.</summary>
    public bool IsPartitioned => Volatile.Read(ref _partitionGroup) is not null;

    /// <summary>The stalled links, as node index pairs.</summary>
    public IReadOnlyCollection<(int, int)> StalledLinks => Volatile.Read(ref _stalled);

    private static (int, int) Key(int a, int b) => a < b ? (a, b) : (b, a);

    private bool Partitioned(int a, int b) =>
        Volatile.Read(ref _partitionGroup) is { } group && a < group.Length && b < group.Length && group[a] != group[b];

    private bool Blocked(int a, int b) => Partitioned(a, b) || Volatile.Read(ref _stalled).Contains(Key(a, b));

    private int? NodeAt(int port) => _nodeByPort.TryGetValue(port, out var index) ? index : null;

    private sealed class LinkTransport(DevnetLinks links, int index, ITransport inner) : ITransport
    {
        public async ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
        {
            var listener = await inner.ListenAsync(endpoint, cancellationToken);
            links.RegisterListenPort(index, listener.LocalEndPoint.Port);
            return new LinkListener(links, index, listener);
        }

        public async ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
        {
            if (links.NodeAt(remote.Port) is { } target && links.Partitioned(index, target))
                throw new TransportException(remote, $"devnet chaos: node {index} and node {target} are partitioned", null);
            var connection = await inner.DialAsync(remote, cancellationToken);
            links._nodeByPort[connection.LocalEndPoint.Port] = index;
            return links.Track(new LinkConnection(links, index, connection));
        }
    }

    private sealed class LinkListener(DevnetLinks links, int index, IConnectionListener inner) : IConnectionListener
    {
        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default) =>
            await inner.AcceptAsync(cancellationToken) is { } connection
                ? links.Track(new LinkConnection(links, index, connection))
                : null;

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private LinkConnection Track(LinkConnection connection)
    {
        _live[connection] = 0;
        return connection;
    }

    private sealed class LinkConnection : ITransportConnection
    {
        private readonly DevnetLinks _links;
        private readonly ITransportConnection _inner;

        public LinkConnection(DevnetLinks links, int owner, ITransportConnection inner)
        {
            _links = links;
            Owner = owner;
            _inner = inner;
            Input = new StallingReader(this, inner.Input);
        }

        public int Owner { get; }

        /// <summary>The node at the other end: by its listen port (we dialed) or the dialer's local port (it dialed us).</summary>
        public int? Remote() => _links.NodeAt(_inner.RemoteEndPoint.Port);

        public bool Blocked => Remote() is { } remote && _links.Blocked(Owner, remote);

        public PipeReader Input { get; }
        public PipeWriter Output => _inner.Output;
        public IPEndPoint RemoteEndPoint => _inner.RemoteEndPoint;
        public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;
        public bool IsClosed => _inner.IsClosed;
        public void Close() => _inner.Close();

        public ValueTask DisposeAsync()
        {
            _links._live.TryRemove(this, out _);
            return _inner.DisposeAsync();
        }
    }

    /// <summary>Holds what was read while the link is blocked, so nothing is delivered until it is released.</summary>
    private sealed class StallingReader(LinkConnection connection, PipeReader inner) : PipeReader
    {
        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            while (connection.Blocked && !connection.IsClosed)
                await Task.Delay(100, cancellationToken);
            var result = await inner.ReadAsync(cancellationToken);
            while (connection.Blocked && !connection.IsClosed)
                await Task.Delay(100, cancellationToken);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (connection.Blocked)
            {
                result = default;
                return false;
            }
            return inner.TryRead(out result);
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);
        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);
        public override void CancelPendingRead() => inner.CancelPendingRead();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
