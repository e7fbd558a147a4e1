using System.IO.Pipelines;
using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>
/// One established byte-stream connection to a remote peer, exposed as a pair of pipes. The owner reads
/// <see cref="IDuplexPipe.Input"/> from one loop and writes <see cref="IDuplexPipe.Output"/> from one writer at a time.
/// Reads and flushes may end with an <see cref="IOException"/> or a completed result once the connection breaks;
/// the framing layer turns both into values.
/// </summary>
public interface ITransportConnection : IDuplexPipe, IAsyncDisposable
{
    /// <summary>The remote side's address and port (for inbound connections, the ephemeral source port).</summary>
    IPEndPoint RemoteEndPoint { get; }

    /// <summary>Our side's address and port.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>True once <see cref="Close"/> was called or the connection broke.</summary>
    bool IsClosed { get; }

    /// <summary>
    /// Closes the connection in both directions. Safe to call from any thread, any number of times, while a read
    /// or a flush is pending: further writes are discarded, and the pending read ends (completed or with an
    /// <see cref="IOException"/>) once the connection is released. What was already written is still delivered where
    /// the transport can: TCP ends our side after it (FIN) and releases the socket once the peer closes its side or a
    /// short drain passes (only when something was written, and only for a bounded number of connections at once).
    /// </summary>
    void Close();

    /// <summary>
    /// Closes without delivering what was written: nothing on this connection is worth it (a failed handshake, whose
    /// peer gets no goodbye), so the transport releases it at once. Transports without a drain close as
    /// <see cref="Close"/> does.
    /// </summary>
    internal void Abort() => Close();
}
