using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Transport;

internal sealed class TcpConnection : ITransportConnection
{
    private const int ReadBufferSize = 64 * 1024;

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

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the remote.
        }
        catch (ObjectDisposedException)
        {
        }
        _stream.Dispose();
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
