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
    private readonly WriteTrackingStream _stream;
    private readonly TcpDrainLimiter _drains;
    private readonly TimeProvider _time;
    private int _closed;
    private int _released;

    /// <summary>Wraps a connected socket.</summary>
    /// <param name="socket">The connected socket (owned from now on).</param>
    /// <param name="drains">Bounds drains at once; <see cref="TcpDrainLimiter.Shared"/> when null.</param>
    /// <param name="time">Clock of the drain's deadline; the system clock when null.</param>
    public TcpConnection(Socket socket, TcpDrainLimiter? drains = null, TimeProvider? time = null)
    {
        _socket = socket;
        _drains = drains ?? TcpDrainLimiter.Shared;
        _time = time ?? TimeProvider.System;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _stream = new WriteTrackingStream(socket);
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

    /// <summary>True once the socket was released (its descriptor closed).</summary>
    internal bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>
    /// Closes in order: our side ends after what was written (FIN), then what the peer still sends is read and discarded
    /// until it closes its side or <see cref="DrainTimeout"/> passes, and only then is the socket released. Releasing a
    /// socket with unread input makes the kernel reset the connection, and the reset throws away whatever it had not
    /// delivered yet: a goodbye still in the send buffer would never reach a peer that reads slowly while it sends.
    /// The drain is spent only where it protects something: a connection we never wrote to (refused at accept, stopped
    /// before its handshake) is released at once, and so is any close once <see cref="TcpDrainLimiter.Capacity"/>
    /// drains are in progress (each holds a descriptor: a flood of connections must not hold accept rate × 2 s of them).
    /// </summary>
    public void Close() => Close(protectWritten: true);

    /// <summary>Releases at once, without the drain: nothing written on this connection needs delivering (a failed handshake).</summary>
    void ITransportConnection.Abort() => Close(protectWritten: false);

    private void Close(bool protectWritten)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        if (!protectWritten || !_stream.HasWritten || !_drains.TryEnter())
        {
            Release();
            return;
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset by the remote (or released): nothing is left to deliver.
            _drains.Exit();
            Release();
            return;
        }
        _ = DrainThenReleaseAsync();
    }

    private async Task DrainThenReleaseAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var deadline = new CancellationTokenSource(DrainTimeout, _time);
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
            Release();
            _drains.Exit();
        }
    }

    private void Release()
    {
        _stream.Dispose();
        Volatile.Write(ref _released, 1);
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

    /// <summary>The socket's stream, noting whether anything was ever written to it (the pipe writer flushes through it).</summary>
    private sealed class WriteTrackingStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
    {
        private int _written;

        public bool HasWritten => Volatile.Read(ref _written) != 0;

        public override void Write(byte[] buffer, int offset, int count)
        {
            Mark(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Mark(buffer.Length);
            base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            Mark(1);
            base.WriteByte(value);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Mark(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Mark(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state)
        {
            Mark(count);
            return base.BeginWrite(buffer, offset, count, callback, state);
        }

        private void Mark(int count)
        {
            if (count > 0)
                Volatile.Write(ref _written, 1);
        }
    }
}
