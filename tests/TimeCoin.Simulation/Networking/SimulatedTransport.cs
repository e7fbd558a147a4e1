using System.Net;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>One host's view of the <see cref="SimulatedNetwork"/>: listens and dials as <see cref="Address"/>.</summary>
public sealed class SimulatedTransport : ITransport
{
    private readonly SimulatedNetwork _network;

    internal SimulatedTransport(SimulatedNetwork network, SimulatedHost host, SimulationContext context, SimulationClock clock)
    {
        _network = network;
        Host = host;
        Context = context;
        Clock = clock;
    }

    /// <summary>The host's address.</summary>
    public IPAddress Address => Host.Address;

    internal SimulatedHost Host { get; }

    internal SimulationContext Context { get; }

    internal SimulationClock Clock { get; }

    /// <inheritdoc />
    public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return ValueTask.FromResult(_network.Listen(this, endpoint));
    }

    /// <inheritdoc />
    public ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return new ValueTask<ITransportConnection>(_network.DialAsync(this, remote, cancellationToken));
    }
}
