using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Transport;

/// <summary>
/// The production transport: TCP sockets wrapped in pipes (<see cref="System.IO.Pipelines.PipeReader.Create(Stream, System.IO.Pipelines.StreamPipeReaderOptions?)"/>).
/// Nagle is disabled so small messages such as pings leave at once.
/// </summary>
public sealed class TcpTransport : ITransport
{
    /// <summary>
    /// The local address outgoing connections are bound to (a host with several addresses, or a test that needs
    /// peers at distinct loopback addresses 127.0.0.x); null lets the system choose.
    /// </summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>Bounds how many closed connections drain at once (see <see cref="TcpConnection.Close()"/>); one per process by default.</summary>
    internal TcpDrainLimiter Drains { get; init; } = TcpDrainLimiter.Shared;

    /// <summary>Clock of the drain's deadline (a test moves it).</summary>
    internal TimeProvider DrainTime { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(endpoint, $"Cannot listen on {endpoint}: {ex.SocketErrorCode}.", ex);
        }
        return ValueTask.FromResult<IConnectionListener>(new TcpConnectionListener(socket, Drains, DrainTime));
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (LocalAddress is not null)
                socket.Bind(new IPEndPoint(LocalAddress, 0));
            await socket.ConnectAsync(remote, cancellationToken);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new TransportException(remote, $"Cannot connect to {remote}: {ex.SocketErrorCode}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new TcpConnection(socket, Drains, DrainTime);
    }
}
