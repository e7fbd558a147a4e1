using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>Accepts inbound connections on one local endpoint until disposed.</summary>
public interface IConnectionListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (with the real port when port 0 was requested).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Waits for the next inbound connection. Returns null once the listener has been disposed. A failure of one
    /// incoming connection never ends the listener.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}
