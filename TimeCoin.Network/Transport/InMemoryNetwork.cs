using System.IO.Pipelines;
using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>
/// A hub that connects in-process nodes: each node gets an <see cref="InMemoryTransport"/> bound to its own IP
/// address, listeners register by endpoint, and dials are answered with a pair of bounded pipes. Fault injection:
/// refuse dials (<see cref="SetDialFilter"/>), and break live connections (<see cref="BreakConnections(IPAddress)"/>).
/// All members are thread-safe.
/// </summary>
public sealed class InMemoryNetwork
{
    private const int FirstEphemeralPort = 49152;
    private const int FirstListenPort = 20000;

    private readonly object _gate = new();
    private readonly Dictionary<IPEndPoint, InMemoryConnectionListener> _listeners = new();
    private readonly HashSet<InMemoryConnection> _connections = new(ReferenceEqualityComparer.Instance);
    private Func<IPAddress, IPEndPoint, bool>? _dialFilter;
    private int _nextEphemeralPort = FirstEphemeralPort;
    private int _nextListenPort = FirstListenPort;

    /// <summary>Creates a transport for the node at <paramref name="localAddress"/>.</summary>
    public InMemoryTransport CreateTransport(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        return new InMemoryTransport(this, localAddress);
    }

    /// <summary>Number of connections currently open (each connected pair counts once).</summary>
    public int OpenConnectionCount
    {
        get { lock (_gate) return _connections.Count; }
    }

    /// <summary>
    /// Sets which dials succeed: the filter gets the dialer's address and the endpoint dialed and returns false to
    /// refuse. Null allows everything. Already open connections are not affected; see <see cref="BreakConnections(Func{IPEndPoint, IPEndPoint, bool})"/>.
    /// </summary>
    public void SetDialFilter(Func<IPAddress, IPEndPoint, bool>? allow)
    {
        lock (_gate)
            _dialFilter = allow;
    }

    /// <summary>Breaks, like a TCP reset, every open connection with <paramref name="address"/> at either end.</summary>
    /// <returns>How many connections were broken.</returns>
    public int BreakConnections(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return BreakConnections((a, b) => a.Address.Equals(address) || b.Address.Equals(address));
    }

    /// <summary>Breaks every open connection whose two endpoints match <paramref name="predicate"/> (in either order).</summary>
    /// <returns>How many connections were broken.</returns>
    public int BreakConnections(Func<IPEndPoint, IPEndPoint, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        List<InMemoryConnection> victims;
        lock (_gate)
            victims = _connections.Where(c => predicate(c.LocalEndPoint, c.RemoteEndPoint) || predicate(c.RemoteEndPoint, c.LocalEndPoint)).ToList();
        foreach (var connection in victims)
            connection.Break(new IOException($"In-memory connection {connection.LocalEndPoint} <-> {connection.RemoteEndPoint} was broken."));
        return victims.Count;
    }

    internal IConnectionListener Listen(IPAddress localAddress, IPEndPoint requested)
    {
        lock (_gate)
        {
            var address = requested.Address.Equals(IPAddress.Any) || requested.Address.Equals(IPAddress.IPv6Any) ? localAddress : requested.Address;
            int port = requested.Port;
            if (port == 0)
            {
                do
                    port = _nextListenPort++;
                while (_listeners.ContainsKey(new IPEndPoint(address, port)));
            }
            var endpoint = new IPEndPoint(address, port);
            if (_listeners.ContainsKey(endpoint))
                throw new TransportException(endpoint, $"Cannot listen on {endpoint}: address in use.");
            var listener = new InMemoryConnectionListener(this, endpoint);
            _listeners.Add(endpoint, listener);
            return listener;
        }
    }

    internal void Unlisten(InMemoryConnectionListener listener)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(listener.LocalEndPoint, out var registered) && ReferenceEquals(registered, listener))
                _listeners.Remove(listener.LocalEndPoint);
        }
    }

    internal ITransportConnection Dial(IPAddress localAddress, IPEndPoint remote)
    {
        lock (_gate)
        {
            if (_dialFilter is { } filter && !filter(localAddress, remote))
                throw new TransportException(remote, $"Connection to {remote} refused (dial filter).");
            if (!_listeners.TryGetValue(remote, out var listener))
                throw new TransportException(remote, $"Connection to {remote} refused: nothing is listening.");

            var dialerEndPoint = new IPEndPoint(localAddress, NextEphemeralPort());
            var toListener = new Pipe(PipeBufferLimits.CreatePipeOptions());
            var toDialer = new Pipe(PipeBufferLimits.CreatePipeOptions());
            var dialerSide = new InMemoryConnection(toDialer.Reader, new BreakablePipeWriter(toListener.Writer), dialerEndPoint, remote, this);
            var listenerSide = new InMemoryConnection(toListener.Reader, new BreakablePipeWriter(toDialer.Writer), remote, dialerEndPoint, this);
            dialerSide.Peer = listenerSide;
            listenerSide.Peer = dialerSide;
            if (!listener.TryEnqueue(listenerSide))
                throw new TransportException(remote, $"Connection to {remote} refused: accept backlog full or listener closed.");
            _connections.Add(dialerSide);
            return dialerSide;
        }
    }

    internal void Forget(InMemoryConnection connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            _connections.Remove(connection.Peer);
        }
    }

    private int NextEphemeralPort()
    {
        int port = _nextEphemeralPort++;
        if (_nextEphemeralPort > ushort.MaxValue)
            _nextEphemeralPort = FirstEphemeralPort;
        return port;
    }
}
