using System.Buffers.Binary;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// One direction of one connection: the sender's <see cref="SimulatedSendPipe"/>, whose flush hands each complete frame
/// to <see cref="Send"/> at once, which schedules its arrival (bandwidth, latency, jitter, segment loss with
/// retransmission timeouts, in order like TCP); one delivery timer on the receiving node's context, which hands every
/// frame due by then to the receiver's <see cref="SimulatedReceivePipe"/> and wakes its reader once (inline: the frame
/// reader runs in the timer's callback, not through the run queue). A partition holds the head frame back with a
/// doubling retransmission timeout; after <see cref="SimulatedNetwork.ResetAfterRetransmitting"/> the connection resets.
/// </summary>
internal sealed class LinkDirection
{
    private static readonly long InitialRto = TimeSpan.FromMilliseconds(200).Ticks;
    private static readonly long MaxRto = TimeSpan.FromSeconds(60).Ticks;

    private readonly SimulatedNetwork _network;
    private readonly LinkProfile _profile;
    private readonly Queue<Segment> _queue = new();
    private readonly ITimer _delivery;
    private long _lastArrival;
    private long _busyUntil;
    private long _inFlight;
    private long _rto = InitialRto;
    private long _blockedSince = -1;
    private long _deliveryDue = long.MaxValue;
    private bool _receiverClosed;

    public LinkDirection(SimulatedNetwork network, int id, IPAddress from, IPAddress to, SimulationContext receiver)
    {
        _network = network;
        Id = id;
        From = from;
        To = to;
        _profile = network.ProfileFor(from, to);
        Writer = new SimulatedSendPipe(this);
        Reader = new SimulatedReceivePipe(receiver);
        _delivery = network.Scheduler.CreateTimer(receiver, static s => ((LinkDirection)s!).OnDeliveryDue(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, traced: false);
    }

    public int Id { get; }

    public IPAddress From { get; }

    public IPAddress To { get; }

    /// <summary>What the sending end writes into.</summary>
    public SimulatedSendPipe Writer { get; }

    /// <summary>What the receiving end reads from.</summary>
    public SimulatedReceivePipe Reader { get; }

    /// <summary>The connection end that reads this direction (told when a close arrives).</summary>
    public SimulatedConnection Receiver { get; set; } = null!;

    public long InFlightBytes => _inFlight;

    /// <summary>True once the sending side closed (reset or FIN queued): further writes are discarded.</summary>
    public bool SenderClosed { get; private set; }

    /// <summary>True while more than the window is in flight (the sender's flush waits).</summary>
    public bool WindowFull => _inFlight > _network.WindowBytes;

    public void CloseSender(bool reset, bool sendMarker = true)
    {
        if (SenderClosed)
            return;
        SenderClosed = true;
        Writer.OnWindowOpenOrClosed();
        if (!sendMarker)
            return;
        if (reset)
        {
            while (_queue.TryDequeue(out var dropped))
                _inFlight -= dropped.Frame?.Length ?? 0;
        }
        long arrival = Math.Max(_lastArrival, Now + _profile.BaseLatency.Ticks);
        _lastArrival = arrival;
        _queue.Enqueue(new Segment(null, reset, arrival));
        ArmDelivery();
    }

    public void CloseReceiver(Exception? error)
    {
        if (_receiverClosed)
            return;
        _receiverClosed = true;
        Reader.CompleteWriter(error);
    }

    private long Now => _network.Scheduler.Elapsed.Ticks;

    /// <summary>Puts one frame on the link (called by the sender's flush): its arrival is scheduled now.</summary>
    public void Send(byte[] frame)
    {
        var type = frame.Length >= FrameFormat.HeaderSize ? (MessageType)BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(FrameFormat.TypeOffset)) : 0;
        if (type == MessageType.Pong && _network.WithholdsPongs(From))
        {
            _network.CountWithheldPong();
            return;
        }
        var profile = _profile;
        var random = _network.Random;
        long now = Now;
        if (type == MessageType.Ping)
            _network.RecordPingSent(Id, From, To, now);
        long depart = Math.Max(now, _busyUntil) + (long)(frame.Length / profile.BytesPerSecond * TimeSpan.TicksPerSecond);
        _busyUntil = depart;
        long latency = profile.BaseLatency.Ticks + (profile.Jitter > TimeSpan.Zero ? (long)(random.NextDouble() * profile.Jitter.Ticks) : 0);
        long lossDelay = 0;
        if (profile.SegmentLoss > 0)
        {
            int segments = Math.Min(32, (frame.Length + profile.SegmentSize - 1) / profile.SegmentSize);
            for (int i = 0; i < segments; i++)
            {
                long rto = InitialRto;
                while (random.NextDouble() < profile.SegmentLoss)
                {
                    lossDelay += rto;
                    rto = Math.Min(rto * 2, MaxRto);
                }
            }
        }
        long arrival = Math.Max(_lastArrival, depart + latency + lossDelay);
        _lastArrival = arrival;
        _inFlight += frame.Length;
        _network.OnQueued(_inFlight);
        _queue.Enqueue(new Segment(frame, false, arrival));
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
        bool windowWasFull = WindowFull;
        while (_queue.TryPeek(out var head) && head.Arrival <= now)
        {
            if (_network.IsBlocked(From, To))
            {
                if (_blockedSince < 0)
                    _blockedSince = now;
                if (now - _blockedSince >= _network.ResetAfterRetransmitting.Ticks)
                {
                    // TCP gives up retransmitting: both ends see a reset.
                    _queue.Clear();
                    _network.CountTimeoutReset();
                    if (delivered)
                        Reader.Wake();
                    Receiver.OnRemoteClosed(reset: true);
                    Receiver.Peer.OnRemoteClosed(reset: true);
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
                Receiver.OnRemoteClosed(head.Reset);
                continue;
            }
            _inFlight -= head.Frame.Length;
            if (_receiverClosed || !Reader.IsReading)
                continue;
            _network.OnDelivered(Id, head.Frame);
            Reader.Append(head.Frame);
            delivered = true;
        }
        if (windowWasFull && !WindowFull)
            Writer.OnWindowOpenOrClosed();
        ArmDelivery();
        // Last: the reader may run inline here (the node handles the frames before this callback returns).
        if (delivered)
            Reader.Wake(inline: true);
    }

    private readonly record struct Segment(byte[]? Frame, bool Reset, long Arrival);
}
