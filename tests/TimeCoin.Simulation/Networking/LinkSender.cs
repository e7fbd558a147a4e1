using System.Buffers.Binary;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The sending half of one direction of a connection, on the sending host's lane: the node's
/// <see cref="SimulatedSendPipe"/> hands it each complete frame, and it works out the frame's arrival at once
/// (bandwidth, latency, jitter, segment loss with retransmission timeouts, in order like TCP; the randomness is the
/// sending host's) and mails the frame to the far end's <see cref="LinkReceiver"/>. Back-pressure: bytes sent and not
/// yet acknowledged; the receiver acknowledges (cumulatively, one latency back) every quarter window delivered and
/// every frame sent while the window was full, and the flush waits while more than the window is unacknowledged.
/// </summary>
internal sealed class LinkSender : IMailboxTarget
{
    /// <summary>An acknowledgement arrives; value: bytes the receiver delivered so far.</summary>
    public const int KindAck = 10;

    private readonly SimulatedHost _host;
    private readonly LinkProfile _profile;
    private long _lastArrival;
    private long _busyUntil;
    private long _sent;
    private long _acknowledged;
    private long _lastPing = -1;
    private readonly bool _betweenMasternodes;

    public LinkSender(SimulatedHost host, long id, IPAddress from, IPAddress to)
    {
        _host = host;
        Id = id;
        From = from;
        To = to;
        _profile = host.Network.ProfileFor(from, to);
        _betweenMasternodes = SimulatedHost.BetweenMasternodes(from, to);
        Writer = new SimulatedSendPipe(this);
    }

    public long Id { get; }

    public IPAddress From { get; }

    public IPAddress To { get; }

    public SimulationLane Lane => _host.Lane;

    /// <summary>What the sending end writes into.</summary>
    public SimulatedSendPipe Writer { get; }

    /// <summary>The far end's receiving half (null until the dial completed).</summary>
    public LinkReceiver? Target { get; set; }

    /// <summary>Bytes sent and not yet acknowledged.</summary>
    public long InFlightBytes => _sent - _acknowledged;

    /// <summary>True once the sending side closed (reset or FIN queued): further writes are discarded.</summary>
    public bool SenderClosed { get; private set; }

    /// <summary>True while more than the window is unacknowledged (the sender's flush waits).</summary>
    public bool WindowFull => InFlightBytes > _host.Network.WindowBytes;

    private long Now => _host.Network.Scheduler.Elapsed.Ticks;

    public void CloseSender(bool reset, bool sendMarker = true)
    {
        if (SenderClosed)
            return;
        SenderClosed = true;
        Writer.OnWindowOpenOrClosed();
        if (!sendMarker || Target is null)
            return;
        long arrival = Math.Max(_lastArrival, Now + _profile.BaseLatency.Ticks);
        _lastArrival = arrival;
        Lane.Send(new MailboxMessage(arrival, Target, reset ? LinkReceiver.KindReset : LinkReceiver.KindFin, null));
    }

    /// <summary>Puts one frame on the link (called by the sender's flush): its arrival is worked out now.</summary>
    public void Send(byte[] frame)
    {
        var type = frame.Length >= FrameFormat.HeaderSize ? (MessageType)BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(FrameFormat.TypeOffset)) : 0;
        if (type == MessageType.Pong && _host.Network.WithholdsPongs(From))
        {
            _host.PongsWithheld++;
            return;
        }
        if (type == MessageType.Blocks && _host.Network.WithholdsBlocks(From))
        {
            _host.BlocksWithheld++;
            return;
        }
        var profile = _profile;
        var random = _host.Random;
        long now = Now;
        if (type == MessageType.Ping)
            _host.RecordPingSent(ref _lastPing, _betweenMasternodes, now);
        long depart = Math.Max(now, _busyUntil) + (long)(frame.Length / profile.BytesPerSecond * TimeSpan.TicksPerSecond);
        _busyUntil = depart;
        long latency = profile.BaseLatency.Ticks + (profile.Jitter > TimeSpan.Zero ? (long)(random.NextDouble() * profile.Jitter.Ticks) : 0);
        long lossDelay = 0;
        if (profile.SegmentLoss > 0)
        {
            int segments = Math.Min(32, (frame.Length + profile.SegmentSize - 1) / profile.SegmentSize);
            for (int i = 0; i < segments; i++)
            {
                long rto = LinkReceiver.InitialRto;
                while (random.NextDouble() < profile.SegmentLoss)
                {
                    lossDelay += rto;
                    rto = Math.Min(rto * 2, LinkReceiver.MaxRto);
                }
            }
        }
        long arrival = Math.Max(_lastArrival, depart + latency + lossDelay);
        _lastArrival = arrival;
        _sent += frame.Length;
        _host.OnQueued(InFlightBytes);
        Lane.Send(new MailboxMessage(arrival, Target!, WindowFull ? LinkReceiver.KindFrameAcknowledgeNow : LinkReceiver.KindFrame, frame));
    }

    public void OnMerged(in MailboxMessage message)
    {
        if (message.Kind != KindAck)
            return;
        // Applied at its arrival, not at the merge: the flush waiting for room resumes then.
        _host.Network.Scheduler.ScheduleAt(Lane.Kernel, message.Arrival, static s =>
        {
            var (sender, delivered) = ((LinkSender, long))s!;
            sender.OnAcknowledged(delivered);
        }, (this, message.Value));
    }

    private void OnAcknowledged(long delivered)
    {
        if (delivered <= _acknowledged)
            return;
        bool wasFull = WindowFull;
        _acknowledged = delivered;
        if (wasFull && !WindowFull)
            Writer.OnWindowOpenOrClosed();
    }
}
