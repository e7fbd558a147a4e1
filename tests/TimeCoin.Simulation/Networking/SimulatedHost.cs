using System.Buffers.Binary;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// One address of the <see cref="SimulatedNetwork"/> and what its kernel holds: listeners, open connections, port and
/// connection counters, the randomness of what it sends (jitter, loss) and its traffic figures. Owned by one
/// <see cref="SimulationLane"/>: only that lane's thread (or the harness between windows) touches it; other hosts
/// reach it through the lane's mailbox (<see cref="KindSyn"/>: a dial arriving).
/// </summary>
internal sealed class SimulatedHost : IMailboxTarget
{
    /// <summary>A dial (SYN) arrives; payload: the <see cref="PendingDial"/>.</summary>
    public const int KindSyn = 20;

    private int _nextPort = 40_000;
    private long _nextConnection;

    public SimulatedHost(SimulatedNetwork network, IPAddress address, SimulationLane lane, int index, int seed)
    {
        Network = network;
        Address = address;
        Lane = lane;
        Index = index;
        Random = new Random(seed);
    }

    public SimulatedNetwork Network { get; }

    public IPAddress Address { get; }

    public SimulationLane Lane { get; }

    /// <summary>Registration order (part of every connection id it makes).</summary>
    public int Index { get; }

    /// <summary>Latency jitter and segment loss of what this host sends.</summary>
    public Random Random { get; }

    public Dictionary<int, SimulatedListener> Listeners { get; } = [];

    public Dictionary<long, SimulatedConnection> Connections { get; } = [];

    public long MessagesDelivered { get; private set; }

    public long BytesDelivered { get; private set; }

    public long PongsWithheld { get; set; }

    private HashSet<uint>? _relayedHeaders;

    /// <summary>HeaderAnnouncement frames this host sent on as a header relay.</summary>
    public long HeadersRelayed { get; set; }

    /// <summary>Blocks frames dropped because this host withholds its blocks.</summary>
    public long BlocksWithheld { get; set; }

    public long TimeoutResets { get; set; }

    public long ConnectionsOpened { get; set; }

    public long MaxInFlightBytes { get; private set; }

    /// <summary>Frames and bytes delivered by message type (the frame header's type field), in the order the types were first seen.</summary>
    public Dictionary<int, (long Messages, long Bytes)> TrafficByType
    {
        get
        {
            var traffic = new Dictionary<int, (long Messages, long Bytes)>(_trafficOrder.Count);
            foreach (int type in _trafficOrder)
                traffic[type] = type is >= 0 and < CommonTypes ? _commonTraffic[type] : _otherTraffic![type];
            return traffic;
        }
    }

    // Delivered traffic per message type: an array for the protocol's types (every frame counts here, so no dictionary
    // look-up per frame), a dictionary for anything else a hostile peer sends.
    private const int CommonTypes = 64;
    private readonly (long Messages, long Bytes)[] _commonTraffic = new (long, long)[CommonTypes];
    private readonly List<int> _trafficOrder = [];
    private Dictionary<int, (long Messages, long Bytes)>? _otherTraffic;

    public Dictionary<(bool BetweenMasternodes, int Seconds), long> PingGaps { get; } = [];

    /// <summary>A connection end id unique in the run and the same in every run of the seed.</summary>
    public long NextConnectionId() => ((long)(Index + 1) << 32) | (uint)++_nextConnection;

    public int NextPort()
    {
        int port = _nextPort++;
        if (_nextPort > 65_000)
            _nextPort = 40_000;
        return port;
    }

    /// <summary>True when both addresses are masternodes' (10.1.x.y).</summary>
    public static bool BetweenMasternodes(IPAddress from, IPAddress to) => from.GetAddressBytes()[1] == 1 && to.GetAddressBytes()[1] == 1;

    public void RecordPingSent(ref long last, bool betweenMasternodes, long now)
    {
        if (last >= 0)
        {
            var key = (betweenMasternodes, (int)Math.Round(TimeSpan.FromTicks(now - last).TotalSeconds));
            PingGaps[key] = PingGaps.GetValueOrDefault(key) + 1;
        }
        last = now;
    }

    public void OnQueued(long inFlight)
    {
        if (inFlight > MaxInFlightBytes)
            MaxInFlightBytes = inFlight;
    }

    public void OnDelivered(long linkId, byte[] frame, long now)
    {
        MessagesDelivered++;
        BytesDelivered += frame.Length;
        int type = frame.Length >= 6 ? frame[4] | (frame[5] << 8) : -1;
        if (type is >= 0 and < CommonTypes)
        {
            ref var counts = ref _commonTraffic[type];
            if (counts.Messages == 0)
                _trafficOrder.Add(type);
            counts = (counts.Messages + 1, counts.Bytes + frame.Length);
        }
        else
        {
            _otherTraffic ??= [];
            if (!_otherTraffic.TryGetValue(type, out var counts))
                _trafficOrder.Add(type);
            _otherTraffic[type] = (counts.Messages + 1, counts.Bytes + frame.Length);
        }
        Lane.Trace.MessageDelivered(now, linkId, frame);
        if (type == (int)MessageType.HeaderAnnouncement && Network.RelaysHeaders(Address))
            RelayHeader(linkId, frame);
    }

    /// <summary>
    /// A header relay sends a HeaderAnnouncement frame on, unchanged, on each of its other open connections, once per
    /// frame (known by its checksum; relays connected to each other would otherwise bounce it for ever).
    /// </summary>
    private void RelayHeader(long linkId, byte[] frame)
    {
        if (frame.Length < FrameFormat.HeaderSize)
            return;
        _relayedHeaders ??= [];
        if (_relayedHeaders.Count >= 1_024)
            _relayedHeaders.Clear();
        if (!_relayedHeaders.Add(BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(FrameFormat.ChecksumOffset))))
            return;
        foreach (var connection in Connections.Values)
        {
            if (connection.Receiving.Id == linkId || connection.Sending.SenderClosed || connection.Sending.Target is null)
                continue;
            connection.Sending.Send(frame.ToArray());
            HeadersRelayed++;
        }
    }

    public void OnMerged(in MailboxMessage message)
    {
        if (message.Kind == KindSyn)
            Network.Scheduler.ScheduleAt(Lane.Kernel, message.Arrival, static s => ((PendingDial)s!).Far.Accept((PendingDial)s!), message.Payload);
    }

    /// <summary>A dial arrived (on this host's lane): accept it on the listener, or refuse it; the answer travels back one latency.</summary>
    public void Accept(PendingDial dial)
    {
        var scheduler = Network.Scheduler;
        long back = scheduler.Elapsed.Ticks + Network.ProfileFor(Address, dial.Near.Address).BaseLatency.Ticks;
        if (!Listeners.TryGetValue(dial.Remote.Port, out var listener))
        {
            Lane.Send(new MailboxMessage(back, dial, PendingDial.KindRefused, $"Connection to {dial.Remote} refused: nothing is listening."));
            return;
        }
        var dialer = dial.Dialer;
        var accepted = new SimulatedConnection(this, NextConnectionId(), dial.Remote, dialer.LocalEndPoint) { Peer = dialer };
        accepted.Sending = new LinkSender(this, accepted.Id, Address, dial.Near.Address) { Target = dialer.Receiving };
        accepted.Receiving = new LinkReceiver(this, accepted.Id, dial.Near.Address, Address, listener.Context) { Receiver = accepted, AckTo = dialer.Sending };
        if (!listener.TryEnqueue(accepted))
        {
            Lane.Send(new MailboxMessage(back, dial, PendingDial.KindRefused, $"Connection to {dial.Remote} refused: accept backlog full."));
            return;
        }
        Connections.Add(accepted.Id, accepted);
        ConnectionsOpened++;
        Lane.Send(new MailboxMessage(back, dial, PendingDial.KindAccepted, accepted));
    }

    public void Forget(SimulatedConnection connection) => Connections.Remove(connection.Id);

    public override string ToString() => Address.ToString();
}
