using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>
/// One node's view of an <see cref="InMemoryNetwork"/>: listens and dials as <see cref="LocalAddress"/>. Behaves
/// like <see cref="TcpTransport"/> (refused dials throw <see cref="TransportException"/>, broken connections end
/// reads) but never touches a socket, so a test or a simulation can run many nodes in one process.
/// </summary>
public sealed class InMemoryTransport : ITransport
{
    private readonly InMemoryNetwork _network;

    internal InMemoryTransport(InMemoryNetwork network, IPAddress localAddress)
    {
        _network = network;
        LocalAddress = localAddress;
    }

    /// <summary>The address this node dials from and listens on.</summary>
    public IPAddress LocalAddress { get; }

    /// <inheritdoc />
    public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_network.Listen(LocalAddress, endpoint));
    }

    /// <inheritdoc />
    public ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_network.Dial(LocalAddress, remote));
    }
}
