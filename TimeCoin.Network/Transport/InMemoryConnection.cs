using System.IO.Pipelines;
using System.Net;

namespace TimeCoin.Network.Transport;

internal sealed class InMemoryConnection : ITransportConnection
{
    private readonly BreakablePipeWriter _output;
    private readonly InMemoryNetwork _network;
    private int _closed;

    public InMemoryConnection(PipeReader input, BreakablePipeWriter output, IPEndPoint local, IPEndPoint remote, InMemoryNetwork network)
    {
        Input = input;
        _output = output;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        _network = network;
    }

    /// <summary>The other end of this connection.</summary>
    public InMemoryConnection Peer { get; set; } = null!;

    public PipeReader Input { get; }

    public PipeWriter Output => _output;

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public void Close() => Break(null);

    /// <summary>Ends both directions; with an exception the other side's reads fail like a TCP reset.</summary>
    public void Break(Exception? exception)
    {
        bool first = Interlocked.Exchange(ref _closed, 1) == 0;
        Interlocked.Exchange(ref Peer._closed, 1);
        _output.Break(exception);
        Peer._output.Break(exception);
        if (first)
            _network.Forget(this);
    }

    public ValueTask DisposeAsync()
    {
        Close();
        Input.Complete();
        _output.Complete();
        return ValueTask.CompletedTask;
    }
}
