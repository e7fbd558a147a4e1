using System.IO.Pipelines;
using System.Net;
using TimeCoin.Network.Transport;

namespace TimeCoin.Simulation.Networking;

/// <summary>One end of a simulated TCP connection: reads what the other end's direction delivers, writes into its own.</summary>
internal sealed class SimulatedConnection : ITransportConnection
{
    private readonly SimulatedNetwork _network;

    public SimulatedConnection(SimulatedNetwork network, long id, IPEndPoint local, IPEndPoint remote)
    {
        _network = network;
        Id = id;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
    }

    public long Id { get; }

    /// <summary>The other end.</summary>
    public SimulatedConnection Peer { get; set; } = null!;

    /// <summary>Carries what this end writes.</summary>
    public LinkDirection Sending { get; set; } = null!;

    /// <summary>Carries what this end reads.</summary>
    public LinkDirection Receiving { get; set; } = null!;

    public PipeReader Input => Receiving.Reader;

    public PipeWriter Output => Sending.Writer;

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsClosed { get; private set; }

    public void Close() => Abort(reset: false);

    /// <summary>Closes this end now; the other end learns it one latency later (behind data in flight, or at once for a reset).</summary>
    public void Abort(bool reset)
    {
        if (IsClosed)
            return;
        IsClosed = true;
        _network.Forget(this);
        Sending.CloseSender(reset);
        Receiving.CloseReceiver(null);
    }

    /// <summary>The other end's close arrived.</summary>
    public void OnRemoteClosed(bool reset)
    {
        // Closed before the reader learns it: the node's reaction may run inline and must find this end closed.
        IsClosed = true;
        _network.Forget(this);
        Sending.CloseSender(reset, sendMarker: false);
        Receiving.CloseReceiver(reset ? new IOException($"Connection {LocalEndPoint} <-> {RemoteEndPoint} reset by peer.") : null);
    }

    public ValueTask DisposeAsync()
    {
        Abort(reset: false);
        Input.Complete();
        Output.Complete();
        return ValueTask.CompletedTask;
    }
}
