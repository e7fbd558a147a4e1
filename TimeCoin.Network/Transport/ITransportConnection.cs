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
    /// Aborts the connection in both directions. Safe to call from any thread, any number of times, while a read
    /// or a flush is pending: the pending read ends (completed or with an <see cref="IOException"/>) and further
    /// writes are discarded.
    /// </summary>
    void Close();
}
