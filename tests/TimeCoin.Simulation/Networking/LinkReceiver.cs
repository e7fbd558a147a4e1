using System.Net;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The receiving half of one direction of a connection, on the receiving host's lane: frames the far
/// <see cref="LinkSender"/> mailed are merged in at the barrier (in order; a frame never overtakes one sent before
/// it), and one delivery timer on the receiving node's context hands every frame due by then to the node's
/// <see cref="SimulatedReceivePipe"/> and wakes its reader once (inline: the frame reader runs in the timer's
/// callback, not through the run queue). A partition holds the head frame back with a doubling retransmission
/// timeout; after <see cref="SimulatedNetwork.ResetAfterRetransmitting"/> the connection resets (this end at once, the
/// far end one latency later).
/// </summary>
internal sealed class LinkReceiver : IMailboxTarget
{
    /// <summary>A frame; payload: its bytes.</summary>
    public const int KindFrame = 1;

    /// <summary>A frame sent while the sender's window was full: acknowledged on delivery.</summary>
    public const int KindFrameAcknowledgeNow = 2;

    /// <summary>The sender closed (FIN, behind the frames before it).</summary>
    public const int KindFin = 3;

    /// <summary>The sender reset the connection.</summary>
    public const int KindReset = 4;

    public static readonly long InitialRto = TimeSpan.FromMilliseconds(200).Ticks;
    public static readonly long MaxRto = TimeSpan.FromSeconds(60).Ticks;

    private readonly SimulatedHost _host;
    private readonly Queue<Segment> _queue = new();
    private readonly ITimer _delivery;
    private readonly long _backLatency;
    private long _lastArrival;
    private long _rto = InitialRto;
    private long _blockedSince = -1;
    private long _deliveryDue = long.MaxValue;
    private long _delivered;
    private long _acknowledged;
    private bool _receiverClosed;

    public LinkReceiver(SimulatedHost host, long id, IPAddress from, IPAddress to, SimulationContext receiver)
    {
        _host = host;
        Id = id;
        From = from;
        To = to;
        _backLatency = host.Network.ProfileFor(to, from).BaseLatency.Ticks;
        Reader = new SimulatedReceivePipe(receiver);
        _delivery = host.Network.Scheduler.CreateTimer(receiver, static s => ((LinkReceiver)s!).OnDeliveryDue(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, traced: false);
    }

    public long Id { get; }

    public IPAddress From { get; }

    public IPAddress To { get; }

    public SimulationLane Lane => _host.Lane;

    /// <summary>What the receiving end reads from.</summary>
    public SimulatedReceivePipe Reader { get; }

    /// <summary>The connection end that reads this direction (told when a close arrives).</summary>
    public SimulatedConnection Receiver { get; set; } = null!;

    /// <summary>The far end's sending half (acknowledgements go there).</summary>
    public LinkSender? AckTo { get; set; }

    private long Now => _host.Network.Scheduler.Elapsed.Ticks;

    public void CloseReceiver(Exception? error)
    {
        if (_receiverClosed)
            return;
        _receiverClosed = true;
        Reader.CompleteWriter(error);
    }

    public void OnMerged(in MailboxMessage message)
    {
        if (message.Kind == KindReset)
        {
            // A reset overtakes what is still on the way: those frames are never delivered.
            _queue.Clear();
        }
        long arrival = Math.Max(message.Arrival, _lastArrival);
        _lastArrival = arrival;
        _queue.Enqueue(new Segment(message.Payload as byte[], message.Kind, arrival));
        ArmDelivery();
    }

    private void ArmDelivery()
    {
        if (!_queue.TryPeek(out var head) || head.Arrival >= _deliveryDue)
            return;
        _deliveryDue = head.Arrival;
        _delivery.Change(TimeSpan.FromTicks(Math.Max(0, head.Arrival - Now)), Timeout.InfiniteTimeSpan);
    }

    private void OnDeliveryDue()
    {
        _deliveryDue = long.MaxValue;
        long now = Now;
        bool delivered = false;
        var network = _host.Network;
        while (_queue.TryPeek(out var head) && head.Arrival <= now)
        {
            if (network.IsBlocked(From, To))
            {
                if (_blockedSince < 0)
                    _blockedSince = now;
                if (now - _blockedSince >= network.ResetAfterRetransmitting.Ticks)
                {
                    // TCP gives up retransmitting: this end sees a reset now, the far end one latency later.
                    _queue.Clear();
                    _host.TimeoutResets++;
                    if (delivered)
                        Reader.Wake();
                    Receiver.OnRemoteClosed(reset: true);
                    if (Receiver.Peer is { } peer)
                        Lane.Send(new MailboxMessage(now + _backLatency, peer, SimulatedConnection.KindRemoteReset, null));
                    return;
                }
                _queue.Dequeue();
                var retry = head with { Arrival = now + _rto };
                _rto = Math.Min(_rto * 2, MaxRto);
                // Everything behind the held segment waits behind it (in order, like TCP).
                var rest = _queue.ToArray();
                _queue.Clear();
                _queue.Enqueue(retry);
                foreach (var s in rest)
                    _queue.Enqueue(s with { Arrival = Math.Max(s.Arrival, retry.Arrival) });
                _lastArrival = Math.Max(_lastArrival, retry.Arrival);
                break;
            }
            _rto = InitialRto;
            _blockedSince = -1;
            _queue.Dequeue();
            if (head.Frame is null)
            {
                if (delivered)
                {
                    Reader.Wake();
                    delivered = false;
                }
                Receiver.OnRemoteClosed(head.Kind == KindReset);
                continue;
            }
            _delivered += head.Frame.Length;
            if (head.Kind == KindFrameAcknowledgeNow || _delivered - _acknowledged >= network.WindowBytes / 4)
                Acknowledge(now);
            if (_receiverClosed || !Reader.IsReading)
                continue;
            _host.OnDelivered(Id, head.Frame, now);
            Reader.Append(head.Frame);
            delivered = true;
        }
        ArmDelivery();
        // Last: the reader may run inline here (the node handles the frames before this callback returns).
        if (delivered)
            Reader.Wake(inline: true);
    }

    private void Acknowledge(long now)
    {
        _acknowledged = _delivered;
        if (AckTo is { } sender)
            Lane.Send(new MailboxMessage(now + _backLatency, sender, LinkSender.KindAck, null, _delivered));
    }

    private readonly record struct Segment(byte[]? Frame, int Kind, long Arrival);
}
