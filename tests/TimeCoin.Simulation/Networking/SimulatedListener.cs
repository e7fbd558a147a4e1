using System.Net;
using System.Threading.Channels;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>A listening socket of one host: dials arriving on the host's lane are queued here until the node accepts them.</summary>
internal sealed class SimulatedListener : IConnectionListener
{
    private readonly SimulatedHost _host;
    private readonly Channel<ITransportConnection> _pending = Channel.CreateBounded<ITransportConnection>(128);

    public SimulatedListener(SimulatedHost host, IPEndPoint endpoint, SimulationContext context)
    {
        _host = host;
        Context = context;
        LocalEndPoint = endpoint;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The listening node's context (accepted connections deliver to it).</summary>
    public SimulationContext Context { get; }

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

    public ValueTask DisposeAsync()
    {
        if (_pending.Writer.TryComplete())
        {
            if (_host.Listeners.TryGetValue(LocalEndPoint.Port, out var registered) && ReferenceEquals(registered, this))
                _host.Listeners.Remove(LocalEndPoint.Port);
            while (_pending.Reader.TryRead(out var unaccepted))
                ((SimulatedConnection)unaccepted).Abort(reset: true);
        }
        return ValueTask.CompletedTask;
    }
}
