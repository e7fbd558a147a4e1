using System.Net;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// A dial in flight: the SYN travels to the far host's lane, which accepts (or refuses) it there and answers one
/// latency later; the answer completes the dial on the near host's lane. A dial abandoned meanwhile (cancelled, or the
/// dialing process died) resets the far end the far host had accepted.
/// </summary>
internal sealed class PendingDial : IMailboxTarget
{
    /// <summary>The far host accepted; payload: its <see cref="SimulatedConnection"/> end.</summary>
    public const int KindAccepted = 21;

    /// <summary>The far host refused; payload: the reason.</summary>
    public const int KindRefused = 22;

    private readonly TaskCompletionSource<ITransportConnection> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _answerKind;
    private object? _answer;

    public PendingDial(SimulatedHost near, SimulatedHost far, SimulationContext context, SimulatedConnection dialer, IPEndPoint remote)
    {
        Near = near;
        Far = far;
        Context = context;
        Dialer = dialer;
        Remote = remote;
    }

    public SimulatedHost Near { get; }

    public SimulatedHost Far { get; }

    /// <summary>The dialing node's context (dead: the dial is abandoned).</summary>
    public SimulationContext Context { get; }

    /// <summary>The dialing end (not yet connected).</summary>
    public SimulatedConnection Dialer { get; }

    public IPEndPoint Remote { get; }

    public SimulationLane Lane => Near.Lane;

    public Task<ITransportConnection> Task => _completion.Task;

    public void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);

    public void OnMerged(in MailboxMessage message)
    {
        _answerKind = message.Kind;
        _answer = message.Payload;
        Near.Network.Scheduler.ScheduleAt(Lane.Kernel, message.Arrival, static s => ((PendingDial)s!).OnAnswer(), this);
    }

    private void OnAnswer()
    {
        if (_answerKind == KindRefused)
        {
            _completion.TrySetException(new TransportException(Remote, (string)_answer!));
            return;
        }
        var accepted = (SimulatedConnection)_answer!;
        Dialer.Peer = accepted;
        Dialer.Sending.Target = accepted.Receiving;
        Dialer.Receiving.AckTo = accepted.Sending;
        if (!Context.IsAlive || _completion.Task.IsCompleted)
        {
            // Nobody waits for this connection any more: the far end learns it by a reset.
            Dialer.Abort(reset: true);
            return;
        }
        Near.Connections.Add(Dialer.Id, Dialer);
        Near.ConnectionsOpened++;
        _completion.TrySetResult(Dialer);
    }
}
