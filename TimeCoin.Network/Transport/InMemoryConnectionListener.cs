using System.Net;
using System.Threading.Channels;

namespace TimeCoin.Network.Transport;

internal sealed class InMemoryConnectionListener : IConnectionListener
{
    /// <summary>Connections dialed but not yet accepted; a full backlog refuses further dials, as TCP does.</summary>
    public const int Backlog = 128;

    private readonly InMemoryNetwork _network;
    private readonly Channel<ITransportConnection> _pending =
        Channel.CreateBounded<ITransportConnection>(new BoundedChannelOptions(Backlog) { SingleReader = false, SingleWriter = false });

    public InMemoryConnectionListener(InMemoryNetwork network, IPEndPoint localEndPoint)
    {
        _network = network;
        LocalEndPoint = localEndPoint;
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool TryEnqueue(ITransportConnection connection) => _pending.Writer.TryWrite(connection);

    public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_pending.Writer.TryComplete())
            return;
        _network.Unlisten(this);
        while (_pending.Reader.TryRead(out var unaccepted))
            await unaccepted.DisposeAsync();
    }
}
