using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// One direction of one connection: the sender's output pipe, a pump (on the harness context) that cuts it into
/// frames and schedules each frame's arrival (bandwidth, latency, jitter, segment loss with retransmission timeouts,
/// in order like TCP), and the receiver's input pipe. A partition holds the head frame back with a doubling
/// retransmission timeout; after <see cref="SimulatedNetwork.ResetAfterRetransmitting"/> the connection resets.
/// </summary>
internal sealed class LinkDirection
{
    private static readonly long InitialRto = TimeSpan.FromMilliseconds(200).Ticks;
    private static readonly long MaxRto = TimeSpan.FromSeconds(60).Ticks;

    private readonly SimulatedNetwork _network;
    private readonly Queue<Segment> _queue = new();
    private readonly ITimer _delivery;
    private long _lastArrival;
    private long _busyUntil;
    private long _inFlight;
    private long _rto = InitialRto;
    private long _blockedSince = -1;
    private bool _deliveryArmed;
    private TaskCompletionSource? _windowOpen;
    private bool _senderClosed;
    private bool _receiverClosed;

    public LinkDirection(SimulatedNetwork network, int id, IPAddress from, IPAddress to, SimulationContext sender, SimulationContext receiver)
    {
        _network = network;
        Id = id;
        From = from;
        To = to;
        var harness = new SimulationPipeScheduler(network.Scheduler.Harness);
        Outbound = new Pipe(new PipeOptions(readerScheduler: harness, writerScheduler: new SimulationPipeScheduler(sender),
            pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
        Inbound = new Pipe(new PipeOptions(readerScheduler: new SimulationPipeScheduler(receiver), writerScheduler: harness,
            pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
        _delivery = network.Scheduler.CreateTimer(network.Scheduler.Harness, static s => ((LinkDirection)s!).OnDeliveryDue(), this,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, traced: false);
    }

    public int Id { get; }

    public IPAddress From { get; }

    public IPAddress To { get; }

    public Pipe Outbound { get; }

    public Pipe Inbound { get; }

    /// <summary>The connection end that reads this direction (told when a close arrives).</summary>
    public SimulatedConnection Receiver { get; set; } = null!;

    public long InFlightBytes => _inFlight;

    public void Start() => _network.Scheduler.Harness.Post(static s => _ = ((LinkDirection)s!).PumpAsync(), this);

    public void CloseSender(bool reset, bool sendMarker = true)
    {
        if (_senderClosed)
            return;
        _senderClosed = true;
        Outbound.Reader.CancelPendingRead();
        _windowOpen?.TrySetResult();
        if (!sendMarker)
            return;
        if (reset)
        {
            while (_queue.TryDequeue(out var dropped))
                _inFlight -= dropped.Frame?.Length ?? 0;
        }
        var profile = _network.ProfileFor(From, To);
        long arrival = Math.Max(_lastArrival, Now + profile.BaseLatency.Ticks);
        _lastArrival = arrival;
        _queue.Enqueue(new Segment(null, reset, arrival));
        ArmDelivery();
    }

    public void CloseReceiver(Exception? error)
    {
        if (_receiverClosed)
            return;
        _receiverClosed = true;
        Inbound.Writer.Complete(error);
    }

    private long Now => _network.Scheduler.Elapsed.Ticks;

    private async Task PumpAsync()
    {
        var reader = Outbound.Reader;
        try
        {
            while (!_senderClosed)
            {
                var result = await reader.ReadAsync();
                if (_senderClosed)
                    break;
                var buffer = result.Buffer;
                while (TryTakeFrame(ref buffer, out var frame))
                    Send(frame);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    // The sender disposed its end: a FIN follows the data.
                    CloseSender(reset: false);
                    break;
                }
                while (_inFlight > _network.WindowBytes && !_senderClosed)
                {
                    _windowOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await _windowOpen.Task;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out byte[] frame)
    {
        frame = [];
        if (buffer.Length < FrameFormat.HeaderSize)
            return false;
        Span<byte> header = stackalloc byte[FrameFormat.HeaderSize];
        buffer.Slice(0, FrameFormat.HeaderSize).CopyTo(header);
        long total = FrameFormat.HeaderSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(header[FrameFormat.LengthOffset..]);
        if (total > 64L * 1024 * 1024)
            total = buffer.Length; // not a frame we can parse: pass the bytes on as they are
        if (buffer.Length < total)
            return false;
        frame = buffer.Slice(0, total).ToArray();
        buffer = buffer.Slice(total);
        return true;
    }

    private void Send(byte[] frame)
    {
        var type = frame.Length >= FrameFormat.HeaderSize ? (MessageType)BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(FrameFormat.TypeOffset)) : 0;
        if (type == MessageType.Pong && _network.WithholdsPongs(From))
        {
            _network.CountWithheldPong();
            return;
        }
        var profile = _network.ProfileFor(From, To);
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
        if (_deliveryArmed || !_queue.TryPeek(out var head))
            return;
        _deliveryArmed = true;
        _delivery.Change(TimeSpan.FromTicks(Math.Max(0, head.Arrival - Now)), Timeout.InfiniteTimeSpan);
    }

    private void OnDeliveryDue()
    {
        _deliveryArmed = false;
        long now = Now;
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
                Receiver.OnRemoteClosed(head.Reset);
                continue;
            }
            _inFlight -= head.Frame.Length;
            if (_inFlight <= _network.WindowBytes)
                _windowOpen?.TrySetResult();
            if (_receiverClosed)
                continue;
            _network.OnDelivered(Id, head.Frame);
            Inbound.Writer.Write(head.Frame);
            _ = Inbound.Writer.FlushAsync();
        }
        ArmDelivery();
    }

    private readonly record struct Segment(byte[]? Frame, bool Reset, long Arrival);
}
