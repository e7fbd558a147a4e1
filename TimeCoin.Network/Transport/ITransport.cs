using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>
/// A way to reach other nodes: listen for inbound connections and dial outbound ones. The TCP transport is used in
/// production; the in-memory transport (<see cref="InMemoryNetwork"/>) lets many nodes run in one process.
/// </summary>
public interface ITransport
{
    /// <summary>Starts listening on <paramref name="endpoint"/> (port 0 picks a free port where supported).</summary>
    /// <exception cref="TransportException">The endpoint cannot be bound.</exception>
    ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default);

    /// <summary>Opens a connection to <paramref name="remote"/>.</summary>
    /// <exception cref="TransportException">The remote refused, is unreachable, or the dial failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default);
}
