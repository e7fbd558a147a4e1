using System.Net;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The simulated internet the nodes share: hosts by address, listeners, connections made of two
/// <see cref="LinkDirection"/>s, per-link <see cref="LinkProfile"/>s, one- and two-way partitions, hosts that withhold
/// their pong replies, and host crashes (the kernel closes the host's connections; peers learn of it one latency
/// later). All randomness comes from the run's seeded <see cref="Random"/>.
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly Dictionary<IPEndPoint, SimulatedListener> _listeners = [];
    private readonly Dictionary<long, SimulatedConnection> _connections = [];
    private readonly HashSet<IPAddress> _pongWithholders = [];
    private long _nextConnectionId;
    private int _nextPort = 40_000;

    /// <summary>Creates the network.</summary>
    public SimulatedNetwork(SimulationScheduler scheduler, Random random)
    {
        Scheduler = scheduler;
        Random = random;
    }

    /// <summary>The run's scheduler.</summary>
    public SimulationScheduler Scheduler { get; }

    /// <summary>The run's randomness (latency jitter, loss).</summary>
    public Random Random { get; }

    /// <summary>The profile of the link from one host to another (default: <see cref="LinkProfile.Default"/>).</summary>
    public Func<IPAddress, IPAddress, LinkProfile> Profiles { get; set; } = static (_, _) => LinkProfile.Default;

    /// <summary>True when packets from the first host to the second are dropped (a one-way partition); null: none.</summary>
    public Func<IPAddress, IPAddress, bool>? Partition { get; set; }

    /// <summary>How long TCP retransmits into a partition before it resets the connection (Linux: about 15 min).</summary>
    public TimeSpan ResetAfterRetransmitting { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Bytes in flight per connection direction above which the sender's flush waits.</summary>
    public long WindowBytes { get; set; } = 1 << 20;

    /// <summary>Frames delivered.</summary>
    public long MessagesDelivered { get; private set; }

    /// <summary>Bytes delivered.</summary>
    public long BytesDelivered { get; private set; }

    /// <summary>Pong frames dropped because their sender withholds pongs.</summary>
    public long PongsWithheld { get; private set; }

    /// <summary>Connections reset after retransmitting into a partition for too long.</summary>
    public long TimeoutResets { get; private set; }

    /// <summary>Connections ever opened.</summary>
    public long ConnectionsOpened => _nextConnectionId;

    /// <summary>Connections open now.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>The most bytes ever in flight on one connection direction.</summary>
    public long MaxInFlightBytes { get; private set; }

    /// <summary>Frames and bytes delivered by message type (the frame header's type field).</summary>
    public Dictionary<int, (long Messages, long Bytes)> TrafficByType { get; } = [];

    /// <summary>Creates the transport a host at <paramref name="address"/> uses (one per node incarnation).</summary>
    public SimulatedTransport CreateTransport(IPAddress address, SimulationContext context, SimulationClock clock) =>
        new(this, address, context, clock);

    /// <summary>Starts or stops withholding the pong replies <paramref name="address"/> sends.</summary>
    public void SetWithholdPongs(IPAddress address, bool withhold)
    {
        if (withhold)
            _pongWithholders.Add(address);
        else
            _pongWithholders.Remove(address);
    }

    /// <summary>The host's process died: its listeners go, its connections reset (peers learn one latency later).</summary>
    public void CrashHost(IPAddress address)
    {
        foreach (var endpoint in _listeners.Keys.Where(e => e.Address.Equals(address)).ToList())
            _listeners.Remove(endpoint);
        foreach (var connection in _connections.Values.Where(c => c.LocalEndPoint.Address.Equals(address)).ToList())
        {
            connection.Abort(reset: true);
            _connections.Remove(connection.Id);
        }
    }

    /// <summary>True when packets from <paramref name="from"/> to <paramref name="to"/> are dropped now.</summary>
    public bool IsBlocked(IPAddress from, IPAddress to) => Partition?.Invoke(from, to) ?? false;

    internal LinkProfile ProfileFor(IPAddress from, IPAddress to) => Profiles(from, to);

    internal bool WithholdsPongs(IPAddress from) => _pongWithholders.Count > 0 && _pongWithholders.Contains(from);

    /// <summary>Gaps between consecutive pings sent on one connection direction, in whole seconds → count,
    /// separately for links between masternodes (10.1.x.x, whitelisted by config) and all others.</summary>
    public Dictionary<(bool BetweenMasternodes, int Seconds), long> PingGaps { get; } = [];

    private readonly Dictionary<int, long> _lastPing = [];

    internal void RecordPingSent(int linkId, IPAddress from, IPAddress to, long now)
    {
        if (_lastPing.TryGetValue(linkId, out var last))
        {
            bool masternodes = from.GetAddressBytes()[1] == 1 && to.GetAddressBytes()[1] == 1;
            var key = (masternodes, (int)Math.Round(TimeSpan.FromTicks(now - last).TotalSeconds));
            PingGaps[key] = PingGaps.GetValueOrDefault(key) + 1;
        }
        _lastPing[linkId] = now;
    }

    internal void CountWithheldPong() => PongsWithheld++;

    internal void CountTimeoutReset() => TimeoutResets++;

    internal void OnQueued(long inFlight)
    {
        if (inFlight > MaxInFlightBytes)
            MaxInFlightBytes = inFlight;
    }

    internal void OnDelivered(int linkId, byte[] frame)
    {
        MessagesDelivered++;
        BytesDelivered += frame.Length;
        int type = frame.Length >= 6 ? frame[4] | (frame[5] << 8) : -1;
        var (messages, bytes) = TrafficByType.GetValueOrDefault(type);
        TrafficByType[type] = (messages + 1, bytes + frame.Length);
        Scheduler.Trace.MessageDelivered(Scheduler.Elapsed.Ticks, linkId, frame);
    }

    internal IConnectionListener Listen(SimulatedTransport host, IPEndPoint requested)
    {
        var endpoint = new IPEndPoint(host.Address, requested.Port == 0 ? _nextPort++ : requested.Port);
        if (_listeners.ContainsKey(endpoint))
            throw new TransportException(endpoint, $"Cannot listen on {endpoint}: address in use.");
        var listener = new SimulatedListener(this, endpoint, host.Context);
        _listeners.Add(endpoint, listener);
        return listener;
    }

    internal void Unlisten(SimulatedListener listener)
    {
        if (_listeners.TryGetValue(listener.LocalEndPoint, out var registered) && ReferenceEquals(registered, listener))
            _listeners.Remove(listener.LocalEndPoint);
    }

    internal async Task<ITransportConnection> DialAsync(SimulatedTransport host, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (IsBlocked(host.Address, remote.Address) || IsBlocked(remote.Address, host.Address))
        {
            // The SYN (or its answer) is lost for as long as the partition lasts: the dial hangs until its timeout.
            var never = new TaskCompletionSource<ITransportConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(static s => ((TaskCompletionSource<ITransportConnection>)s!).TrySetCanceled(), never))
                return await never.Task;
        }
        var there = ProfileFor(host.Address, remote.Address).BaseLatency;
        var back = ProfileFor(remote.Address, host.Address).BaseLatency;
        await Task.Delay(there + back, host.Clock, cancellationToken);
        if (!_listeners.TryGetValue(remote, out var listener))
            throw new TransportException(remote, $"Connection to {remote} refused: nothing is listening.");
        var remoteContext = listener.Context;
        var local = new IPEndPoint(host.Address, _nextPort++);
        if (_nextPort > 65_000)
            _nextPort = 40_000;
        var dialer = new SimulatedConnection(this, ++_nextConnectionId, local, remote);
        var accepted = new SimulatedConnection(this, ++_nextConnectionId, remote, local);
        dialer.Peer = accepted;
        accepted.Peer = dialer;
        var outbound = new LinkDirection(this, (int)dialer.Id, host.Address, remote.Address, remoteContext) { Receiver = accepted };
        var inbound = new LinkDirection(this, (int)accepted.Id, remote.Address, host.Address, host.Context) { Receiver = dialer };
        dialer.Sending = outbound;
        dialer.Receiving = inbound;
        accepted.Sending = inbound;
        accepted.Receiving = outbound;
        if (!listener.TryEnqueue(accepted))
            throw new TransportException(remote, $"Connection to {remote} refused: accept backlog full.");
        _connections.Add(dialer.Id, dialer);
        _connections.Add(accepted.Id, accepted);
        return dialer;
    }

    internal void Forget(SimulatedConnection connection) => _connections.Remove(connection.Id);
}
