using System.Net;
using System.Threading.Channels;
using TimeCoin.Network.Transport;

namespace TimeCoin.Simulation.Networking;

internal sealed class SimulatedListener : IConnectionListener
{
    private readonly SimulatedNetwork _network;
    private readonly Channel<ITransportConnection> _pending = Channel.CreateBounded<ITransportConnection>(128);

    public SimulatedListener(SimulatedNetwork network, IPEndPoint endpoint, TimeCoin.Simulation.Runtime.SimulationContext context)
    {
        _network = network;
        Context = context;
        LocalEndPoint = endpoint;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The listening node's context (accepted connections deliver to it).</summary>
    public TimeCoin.Simulation.Runtime.SimulationContext Context { get; }

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
            _network.Unlisten(this);
            while (_pending.Reader.TryRead(out var unaccepted))
                ((SimulatedConnection)unaccepted).Abort(reset: true);
        }
        return ValueTask.CompletedTask;
    }
}
