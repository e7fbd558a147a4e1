using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Transport;

internal sealed class TcpConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _disposed = new();
    private readonly TcpDrainLimiter _drains;
    private readonly TimeProvider _drainTime;

    public TcpConnectionListener(Socket socket, TcpDrainLimiter drains, TimeProvider drainTime)
    {
        _socket = socket;
        _drains = drains;
        _drainTime = drainTime;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(linked.Token);
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return null;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException) when (_disposed.IsCancellationRequested)
            {
                return null;
            }
            catch (SocketException)
            {
                // One failed incoming connection (reset before accept, out of descriptors) never ends the listener.
                continue;
            }
            accepted.NoDelay = true;
            return new TcpConnection(accepted, _drains, _drainTime);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
            _socket.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
