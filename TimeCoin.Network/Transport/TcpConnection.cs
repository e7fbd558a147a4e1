using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Transport;

internal sealed class TcpConnection : ITransportConnection
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>How long a closed connection keeps reading (and discarding) what the peer still sends, waiting for
    /// the peer to close its side, before the socket is released.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _closed;

    public TcpConnection(Socket socket)
    {
        _socket = socket;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _stream = new NetworkStream(socket, ownsSocket: true);
        // The reader only buffers what the consumer has not yet consumed (the frame reader consumes frame by frame,
        // so at most one maximum-size frame); the writer buffers until each flush. Zero-byte reads: an idle
        // connection waits for data without holding a read buffer (a pending 64 KiB read buffer per idle peer was
        // most of an idle connection's memory); the buffer is rented only once bytes have arrived.
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Closes in order: our side ends after what was written (FIN), then what the peer still sends is read and discarded
    /// until it closes its side or <see cref="DrainTimeout"/> passes, and only then is the socket released. Releasing a
    /// socket with unread input makes the kernel reset the connection, and the reset throws away whatever it had not
    /// delivered yet: a goodbye still in the send buffer would never reach a peer that reads slowly while it sends.
    /// </summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the remote (or released): nothing is left to deliver.
            _stream.Dispose();
            return;
        }
        _ = DrainThenReleaseAsync();
    }

    private async Task DrainThenReleaseAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var deadline = new CancellationTokenSource(DrainTimeout);
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Reset, timed out, or released meanwhile: release it now.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _stream.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        await Input.CompleteAsync();
        try
        {
            await Output.CompleteAsync();
        }
        catch (IOException)
        {
            // Flushing the rest into a closed socket fails; nothing more to do.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
