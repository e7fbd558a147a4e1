using System.Collections.Concurrent;
using System.Net;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The simulated internet the nodes share: hosts by address (each on its own <see cref="SimulationLane"/>), listeners,
/// connections whose two ends live on their hosts' lanes and talk only through the lanes' mailboxes (frames, FIN,
/// resets, acknowledgements, dials and their answers, each arriving at least one link latency after it was sent),
/// per-link <see cref="LinkProfile"/>s, one- and two-way partitions, hosts that withhold their pong replies, and host
/// crashes (the kernel closes the host's connections; peers learn of it one latency later). The smallest link
/// latency between any two hosts is the scheduler's <see cref="SimulationScheduler.Lookahead"/>. Each host's
/// randomness (latency jitter, loss) derives from the run's seeded <see cref="Random"/> in the order hosts appear.
/// </summary>
public sealed class SimulatedNetwork
{
    private readonly Dictionary<IPAddress, SimulatedHost> _hosts = [];
    private readonly List<SimulatedHost> _hostList = [];
    private readonly ConcurrentDictionary<(IPAddress From, IPAddress To), LinkProfile> _profiles = new();
    private readonly HashSet<IPAddress> _pongWithholders = [];
    private readonly HashSet<IPAddress> _blockWithholders = [];
    private readonly HashSet<IPAddress> _headerRelays = [];
    private TimeSpan _minLatency = TimeSpan.MaxValue;

    /// <summary>Creates the network.</summary>
    public SimulatedNetwork(SimulationScheduler scheduler, Random random)
    {
        Scheduler = scheduler;
        Random = random;
    }

    /// <summary>The run's scheduler.</summary>
    public SimulationScheduler Scheduler { get; }

    /// <summary>The run's randomness (each host's jitter and loss randomness is seeded from it).</summary>
    public Random Random { get; }

    /// <summary>The profile of the link from one host to another (default: <see cref="LinkProfile.Default"/>); set before hosts appear.</summary>
    public Func<IPAddress, IPAddress, LinkProfile> Profiles { get; set; } = static (_, _) => LinkProfile.Default;

    /// <summary>True when packets from the first host to the second are dropped (a one-way partition); null: none. Set between windows only.</summary>
    public Func<IPAddress, IPAddress, bool>? Partition { get; set; }

    /// <summary>How long TCP retransmits into a partition before it resets the connection (Linux: about 15 min).</summary>
    public TimeSpan ResetAfterRetransmitting { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Unacknowledged bytes per connection direction above which the sender's flush waits.</summary>
    public long WindowBytes { get; set; } = 1 << 20;

    /// <summary>Frames delivered.</summary>
    public long MessagesDelivered => _hostList.Sum(h => h.MessagesDelivered);

    /// <summary>Bytes delivered.</summary>
    public long BytesDelivered => _hostList.Sum(h => h.BytesDelivered);

    /// <summary>Pong frames dropped because their sender withholds pongs.</summary>
    public long PongsWithheld => _hostList.Sum(h => h.PongsWithheld);

    /// <summary>Blocks frames dropped because their sender withholds blocks.</summary>
    public long BlocksWithheld => _hostList.Sum(h => h.BlocksWithheld);

    /// <summary>Connections reset after retransmitting into a partition for too long.</summary>
    public long TimeoutResets => _hostList.Sum(h => h.TimeoutResets);

    /// <summary>Connection ends ever opened (two per connection).</summary>
    public long ConnectionsOpened => _hostList.Sum(h => h.ConnectionsOpened);

    /// <summary>Connection ends open now.</summary>
    public int OpenConnections => _hostList.Sum(h => h.Connections.Count);

    /// <summary>The most bytes ever unacknowledged on one connection direction.</summary>
    public long MaxInFlightBytes => _hostList.Count == 0 ? 0 : _hostList.Max(h => h.MaxInFlightBytes);

    /// <summary>The smallest base latency between any two hosts so far (the scheduler's lookahead).</summary>
    public TimeSpan MinimumLatency => _minLatency;

    /// <summary>Frames and bytes delivered by message type (the frame header's type field).</summary>
    public Dictionary<int, (long Messages, long Bytes)> TrafficByType
    {
        get
        {
            var total = new Dictionary<int, (long Messages, long Bytes)>();
            foreach (var host in _hostList)
            {
                foreach (var (type, (messages, bytes)) in host.TrafficByType)
                {
                    var (m, b) = total.GetValueOrDefault(type);
                    total[type] = (m + messages, b + bytes);
                }
            }
            return total;
        }
    }

    /// <summary>Gaps between consecutive pings sent on one connection direction, in whole seconds → count,
    /// separately for links between masternodes (10.1.x.x, whitelisted by config) and all others.</summary>
    public Dictionary<(bool BetweenMasternodes, int Seconds), long> PingGaps
    {
        get
        {
            var total = new Dictionary<(bool BetweenMasternodes, int Seconds), long>();
            foreach (var host in _hostList)
                foreach (var (key, count) in host.PingGaps)
                    total[key] = total.GetValueOrDefault(key) + count;
            return total;
        }
    }

    /// <summary>
    /// Creates the transport a host at <paramref name="address"/> uses (one per node incarnation, between windows). The
    /// first transport of an address makes it a host on <paramref name="context"/>'s lane and lowers the scheduler's
    /// lookahead to its smallest link latency.
    /// </summary>
    public SimulatedTransport CreateTransport(IPAddress address, SimulationContext context, SimulationClock clock)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(context);
        if (!_hosts.TryGetValue(address, out var host))
        {
            host = new SimulatedHost(this, address, context.Lane, _hostList.Count, Random.Next());
            _hosts.Add(address, host);
            _hostList.Add(host);
            var min = _minLatency;
            foreach (var other in _hostList)
            {
                var there = ProfileFor(address, other.Address).BaseLatency;
                var back = ProfileFor(other.Address, address).BaseLatency;
                min = TimeSpan.FromTicks(Math.Min(min.Ticks, Math.Min(there.Ticks, back.Ticks)));
            }
            if (min <= TimeSpan.Zero)
                throw new InvalidOperationException($"A link of {address} has no latency: the simulation needs every link to take time (it is the lookahead of the parallel scheduler).");
            if (min < _minLatency)
            {
                _minLatency = min;
                Scheduler.Lookahead = min;
            }
        }
        else if (!ReferenceEquals(host.Lane, context.Lane))
        {
            throw new InvalidOperationException($"Host {address} runs on lane '{host.Lane.Name}', not on '{context.Lane.Name}'.");
        }
        return new(this, host, context, clock);
    }

    /// <summary>Starts or stops withholding the pong replies <paramref name="address"/> sends (between windows).</summary>
    public void SetWithholdPongs(IPAddress address, bool withhold)
    {
        if (withhold)
            _pongWithholders.Add(address);
        else
            _pongWithholders.Remove(address);
    }

    /// <summary>
    /// Starts or stops withholding the <c>Blocks</c> replies <paramref name="address"/> sends (between windows): the node
    /// still announces its blocks with their headers and answers header requests, and never serves a block body.
    /// </summary>
    public void SetWithholdBlocks(IPAddress address, bool withhold)
    {
        if (withhold)
            _blockWithholders.Add(address);
        else
            _blockWithholders.Remove(address);
    }

    /// <summary>
    /// Starts or stops making <paramref name="address"/> a header relay (between windows): every <c>HeaderAnnouncement</c>
    /// frame it receives is sent on at once, unchanged, on each of its other connections (as a node that relays any signed
    /// header it hears, whoever produced it). Combine with <see cref="SetWithholdBlocks"/> for a relay that never serves.
    /// </summary>
    public void SetRelayHeaders(IPAddress address, bool relay)
    {
        if (relay)
            _headerRelays.Add(address);
        else
            _headerRelays.Remove(address);
    }

    /// <summary>HeaderAnnouncement frames sent on by header relays.</summary>
    public long HeadersRelayed => _hostList.Sum(h => h.HeadersRelayed);

    /// <summary>The host's process died (between windows): its listeners go, its connections reset (peers learn one latency later).</summary>
    public void CrashHost(IPAddress address)
    {
        if (!_hosts.TryGetValue(address, out var host))
            return;
        host.Listeners.Clear();
        foreach (var connection in host.Connections.Values.ToList())
            connection.Abort(reset: true);
    }

    /// <summary>True when packets from <paramref name="from"/> to <paramref name="to"/> are dropped now.</summary>
    public bool IsBlocked(IPAddress from, IPAddress to) => Partition?.Invoke(from, to) ?? false;

    /// <summary>The link profile (computed once per pair; safe from any lane).</summary>
    internal LinkProfile ProfileFor(IPAddress from, IPAddress to) =>
        _profiles.TryGetValue((from, to), out var profile) ? profile : _profiles.GetOrAdd((from, to), key => Profiles(key.From, key.To));

    internal bool WithholdsPongs(IPAddress from) => _pongWithholders.Count > 0 && _pongWithholders.Contains(from);

    internal bool RelaysHeaders(IPAddress at) => _headerRelays.Count > 0 && _headerRelays.Contains(at);

    internal bool WithholdsBlocks(IPAddress from) => _blockWithholders.Count > 0 && _blockWithholders.Contains(from);

    internal IConnectionListener Listen(SimulatedTransport transport, IPEndPoint requested)
    {
        var host = transport.Host;
        var endpoint = new IPEndPoint(host.Address, requested.Port == 0 ? host.NextPort() : requested.Port);
        if (host.Listeners.ContainsKey(endpoint.Port))
            throw new TransportException(endpoint, $"Cannot listen on {endpoint}: address in use.");
        var listener = new SimulatedListener(host, endpoint, transport.Context);
        host.Listeners.Add(endpoint.Port, listener);
        return listener;
    }

    internal async Task<ITransportConnection> DialAsync(SimulatedTransport transport, IPEndPoint remote, CancellationToken cancellationToken)
    {
        var near = transport.Host;
        if (IsBlocked(near.Address, remote.Address) || IsBlocked(remote.Address, near.Address))
        {
            // The SYN (or its answer) is lost for as long as the partition lasts: the dial hangs until its timeout.
            var never = new TaskCompletionSource<ITransportConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(static s => ((TaskCompletionSource<ITransportConnection>)s!).TrySetCanceled(), never))
                return await never.Task;
        }
        var there = ProfileFor(near.Address, remote.Address).BaseLatency;
        if (!_hosts.TryGetValue(remote.Address, out var far))
        {
            await Task.Delay(there + ProfileFor(remote.Address, near.Address).BaseLatency, transport.Clock, cancellationToken);
            throw new TransportException(remote, $"Connection to {remote} refused: nothing is listening.");
        }
        var local = new IPEndPoint(near.Address, near.NextPort());
        var dialer = new SimulatedConnection(near, near.NextConnectionId(), local, remote);
        dialer.Sending = new LinkSender(near, dialer.Id, near.Address, remote.Address);
        dialer.Receiving = new LinkReceiver(near, dialer.Id, remote.Address, near.Address, transport.Context) { Receiver = dialer };
        var dial = new PendingDial(near, far, transport.Context, dialer, remote);
        near.Lane.Send(new MailboxMessage(Scheduler.Elapsed.Ticks + there.Ticks, far, SimulatedHost.KindSyn, dial));
        using (cancellationToken.Register(static (s, token) => ((PendingDial)s!).Cancel(token), dial))
            return await dial.Task;
    }
}
