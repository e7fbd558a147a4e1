using System.IO.Pipelines;
using System.Net;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// One end of a simulated TCP connection, owned by its host's lane: reads what the far end's <see cref="LinkSender"/>
/// mails to its <see cref="Receiving"/> half, writes through its own <see cref="Sending"/> half. The far end is only
/// ever reached through the mailbox (frames, FIN, reset, acknowledgements).
/// </summary>
internal sealed class SimulatedConnection : ITransportConnection, IMailboxTarget
{
    /// <summary>The far end gave up retransmitting into a partition: this end sees a reset.</summary>
    public const int KindRemoteReset = 30;

    private readonly SimulatedHost _host;

    public SimulatedConnection(SimulatedHost host, long id, IPEndPoint local, IPEndPoint remote)
    {
        _host = host;
        Id = id;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
    }

    public long Id { get; }

    public SimulationLane Lane => _host.Lane;

    /// <summary>The other end (another lane's object: a mailbox address, never touched).</summary>
    public SimulatedConnection? Peer { get; set; }

    /// <summary>Carries what this end writes.</summary>
    public LinkSender Sending { get; set; } = null!;

    /// <summary>Carries what this end reads.</summary>
    public LinkReceiver Receiving { get; set; } = null!;

    public PipeReader Input => Receiving.Reader;

    public PipeWriter Output => Sending.Writer;

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public bool IsClosed { get; private set; }

    public void Close() => Abort(reset: false);

    /// <summary>Closes this end now; the other end learns it one latency later (behind data in flight, or dropping it for a reset).</summary>
    public void Abort(bool reset)
    {
        if (IsClosed)
            return;
        IsClosed = true;
        _host.Forget(this);
        Sending.CloseSender(reset);
        Receiving.CloseReceiver(null);
    }

    /// <summary>The other end's close arrived.</summary>
    public void OnRemoteClosed(bool reset)
    {
        // Closed before the reader learns it: the node's reaction may run inline and must find this end closed.
        IsClosed = true;
        _host.Forget(this);
        Sending.CloseSender(reset, sendMarker: false);
        Receiving.CloseReceiver(reset ? new IOException($"Connection {LocalEndPoint} <-> {RemoteEndPoint} reset by peer.") : null);
    }

    public void OnMerged(in MailboxMessage message)
    {
        if (message.Kind == KindRemoteReset)
            _host.Network.Scheduler.ScheduleAt(Lane.Kernel, message.Arrival, static s => ((SimulatedConnection)s!).OnRemoteClosed(reset: true), this);
    }

    public ValueTask DisposeAsync()
    {
        Abort(reset: false);
        Input.Complete();
        Output.Complete();
        return ValueTask.CompletedTask;
    }
}
