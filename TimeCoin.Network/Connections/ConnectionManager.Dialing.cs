using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Discovery;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Connections;

public sealed partial class ConnectionManager
{
    /// <summary>
    /// Whether an address the network told us of (anyone can sign an announcement naming any ip:port) may be dialed
    /// automatically: not 0.0.0.0/8 or :: (the local host on Linux), broadcast or multicast, and not loopback unless
    /// this node itself listens on loopback (a devnet on one machine); otherwise a made-up masternode could point our
    /// dialer at the machine's own services.
    /// </summary>
    private bool IsDialableLearnedAddress(IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            if (bytes[0] == 0 || bytes[0] >= 224) // "this network", multicast, reserved and broadcast
                return false;
        }
        else if (address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast)
        {
            return false;
        }
        if (IPAddress.IsLoopback(address))
            return (_listener?.LocalEndPoint ?? _options.ListenEndPoint) is { } listen && IPAddress.IsLoopback(IpRange.Normalize(listen.Address));
        return true;
    }

    private void Wake()
    {
        lock (_gate)
            _wake.TrySetResult();
    }

    /// <summary>
    /// Adds a dialable address, or raises a known one to a better source. The book holds at most
    /// <see cref="ConnectionManagerOptions.MaxKnownAddresses"/>: when full, a gossiped address is refused and one from a
    /// better source pushes out a gossiped address not in use (refused when there is none): the oldest that never gave
    /// us a connection, and only when there is none of those, the oldest that did (announcements of made-up
    /// masternodes must not push the peers a node has proved out of its book, and so out of its stored known peers).
    /// Finding it costs no scan of the book: gossiped entries are kept in that order (<see cref="_evictable"/>), and
    /// only entries in use (a bounded few) are skipped. An address learned from the network (a masternode's signed
    /// announcement, a peer's address list) must be a unicast address elsewhere (see <see cref="IsDialableLearnedAddress"/>).
    /// </summary>
    /// <param name="endpoint">The address.</param>
    /// <param name="source">Where it was learned.</param>
    /// <param name="lastConnectedAt">When it last gave us a connection, if known from an earlier run (a stored peer);
    /// recorded unless the entry already has one.</param>
    /// <returns>True when the address is a new dial candidate (added or promoted); false when known or refused.</returns>
    private bool AddAddress(IPEndPoint endpoint, AddressSource source, DateTimeOffset? lastConnectedAt = null)
    {
        if (endpoint.Port == 0)
            return false;
        var normalized = new IPEndPoint(IpRange.Normalize(endpoint.Address), endpoint.Port);
        if (_listener?.LocalEndPoint is { } own && own.Equals(normalized))
            return false;
        if (source is AddressSource.Masternode or AddressSource.Gossip && !IsDialableLearnedAddress(normalized.Address))
            return false;
        lock (_gate)
        {
            if (_addresses.TryGetValue(normalized, out var known))
            {
                if (known.LastConnectedAt is null && lastConnectedAt is { } stored)
                    SetLastConnected(known, stored);
                if (source >= known.Source)
                    return false;
                SetSource(known, source); // promoted (e.g. a gossiped address turns out to be a masternode)
                return true;
            }
            if (_addresses.Count >= _options.MaxKnownAddresses)
            {
                if (source == AddressSource.Gossip)
                    return false;
                KnownAddress? victim = null;
                foreach (var candidate in _evictable)
                {
                    if (!candidate.Busy)
                    {
                        victim = candidate;
                        break;
                    }
                }
                if (victim is null)
                    return false;
                ForgetAddress(victim);
            }
            var entry = new KnownAddress(normalized, source, _time.GetUtcNow(), ++_addressSequence, DialSetSelector.Rank(_identity.PublicKey.Bytes, normalized), _bookVersion)
            {
                LastConnectedAt = lastConnectedAt,
            };
            _addresses.Add(normalized, entry);
            _bookVersion.Value++;
            if (source == AddressSource.Gossip)
                _evictable.Add(entry);
            return true;
        }
    }

    /// <summary>Changes an entry's source, keeping the evictable set in step. Call under <see cref="_gate"/>.</summary>
    private void SetSource(KnownAddress address, AddressSource source)
    {
        if (address.Source == AddressSource.Gossip)
            _evictable.Remove(address);
        address.Source = source;
        if (source == AddressSource.Gossip)
            _evictable.Add(address);
    }

    /// <summary>Records when an entry last gave us a connection, keeping its place in the eviction order. Call under <see cref="_gate"/>.</summary>
    private void SetLastConnected(KnownAddress address, DateTimeOffset at)
    {
        bool evictable = address.Source == AddressSource.Gossip && address.LastConnectedAt is null && _evictable.Remove(address);
        address.LastConnectedAt = at;
        if (evictable)
            _evictable.Add(address);
    }

    /// <summary>Removes an entry from the book. Call under <see cref="_gate"/>.</summary>
    private void ForgetAddress(KnownAddress address)
    {
        _addresses.Remove(address.EndPoint);
        _evictable.Remove(address);
        if (address.LostAt is not null)
            _lost.Remove(address);
        _bookVersion.Value++;
    }

    /// <summary>
    /// Remembers an automatic entry whose connection ended as a lost peer (<see cref="ConnectionManagerOptions.LostPeerRedialSlots"/>),
    /// pushing out the oldest when <see cref="LostPeerMemory"/> are remembered. Call under <see cref="_gate"/>.
    /// </summary>
    /// <remarks>
    /// Four times the automatic bound: a peer of our own side that restarts is found again within seconds and leaves
    /// the list, so only peers that stay away accumulate, and it takes many of them to push out the far side of a split.
    /// </remarks>
    private void MarkLost(KnownAddress address)
    {
        if (address.LostAt is not null)
            _lost.Remove(address);
        address.LostAt = _time.GetUtcNow();
        _lost.Add(address);
        while (_lost.Count > LostPeerMemory)
            EndOldestLoss();
    }

    /// <summary>The oldest lost peer is no longer one. Call under <see cref="_gate"/>.</summary>
    private void EndOldestLoss()
    {
        _lost[0].LostAt = null;
        _lost.RemoveAt(0);
    }

    /// <summary>How long a peer counts as lost: a day (a split lasts hours; a peer gone for a day is gone).</summary>
    internal static readonly TimeSpan LostPeerExpiry = TimeSpan.FromDays(1);

    /// <summary>Ends the loss of peers lost longer than <see cref="LostPeerExpiry"/> ago. Call under <see cref="_gate"/>.</summary>
    private void ForgetOldLosses(DateTimeOffset now)
    {
        while (_lost.Count > 0 && now - _lost[0].LostAt > LostPeerExpiry)
            EndOldestLoss();
    }

    /// <summary>Most lost peers remembered (see <see cref="MarkLost"/>).</summary>
    private int LostPeerMemory => 4 * _options.MaxAutomaticOutbound;

    /// <summary>A connection (either way) to <paramref name="nodeId"/> is up: it is no longer a lost peer.</summary>
    private void FoundLostPeer(Core.Crypto.PublicKey nodeId)
    {
        lock (_gate)
        {
            for (int i = _lost.Count - 1; i >= 0; i--)
            {
                if (_lost[i].NodeId == nodeId)
                {
                    _lost[i].LostAt = null;
                    _lost.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// Failed dials after which an address learned from the network (a masternode announcement or gossip) that never
    /// gave us a connection is dropped from the book, while at least one peer is connected. Without it, each made-up
    /// masternode address an attacker announced was redialed every 30 s for as long as its registry entry lived (more
    /// than an hour): with the book full of them, a node with a free automatic slot dialed about 67 dead addresses a
    /// second (an attacker's choice of addresses: a dialing amplifier).
    /// </summary>
    internal const int UnansweredDialLimit = 5;

    /// <summary>Short backoff (30 s at most): manual and automatic entries, and lost peers whatever their class now.</summary>
    private bool IsPersistent(KnownAddress address) => ClassOf(address) != DialClass.Ordinary || address.LostAt is not null;

    private DialClass ClassOf(KnownAddress address) => address.Source switch
    {
        AddressSource.Persistent => DialClass.Manual,
        AddressSource.Masternode or AddressSource.Discovery => DialClass.Automatic,
        _ => Policy.IsWhitelisted(address.EndPoint.Address) ? DialClass.Automatic : DialClass.Ordinary,
    };

    /// <summary>
    /// True when some address is free, due and of a class with a free slot (manual ones always have one). Call under
    /// <see cref="_gate"/>.
    /// </summary>
    /// <remarks>
    /// A pass that finds nothing remembers the earliest time an address it passed over falls due; until then, while the
    /// book (<see cref="_bookVersion"/>) and the whitelist (<see cref="PeerPolicy.WhitelistVersion"/>, which decides the
    /// class of gossiped and bootstrap addresses) are unchanged, the answer is the same, so it is given without a scan
    /// (the scan every second over a masternode's hundred addresses was about 2 % of a 100-node simulation's CPU).
    /// </remarks>
    private bool AnyDueCandidate(DateTimeOffset now, out DateTimeOffset until)
    {
        ForgetOldLosses(now);
        long whitelistVersion = Policy.WhitelistVersion;
        if (_nothingDue is { } last && last.Book == _bookVersion.Value && last.Whitelist == whitelistVersion && now < last.Until)
        {
            until = last.Until;
            return false;
        }
        var slots = CountSlots();
        until = DateTimeOffset.MaxValue;
        foreach (var address in _addresses.Values)
        {
            if (address.Busy || !IsWanted(address, slots))
                continue;
            if (address.NextAttemptAt <= now)
            {
                _nothingDue = null;
                return true;
            }
            if (address.NextAttemptAt < until)
                until = address.NextAttemptAt;
        }
        _nothingDue = (_bookVersion.Value, whitelistVersion, until);
        return false;
    }

    /// <summary>Our outbound connections and dials by the slots they hold, and which slots are free.</summary>
    private readonly record struct DialSlots(int AutomaticInUse, int OrdinaryInUse, bool AutomaticFree, bool LostFree, bool OrdinaryFree);

    /// <summary>
    /// Counts the slots in use (an address stays busy while its dial or connection lives): automatic entries, and lost
    /// peers whatever their class now, hold automatic slots (the lost-peer slots beyond the bound); other ordinary
    /// addresses hold ordinary slots; manual entries hold none. Call under <see cref="_gate"/>.
    /// </summary>
    private DialSlots CountSlots()
    {
        int automaticInUse = 0;
        int ordinaryInUse = 0;
        foreach (var address in _addresses.Values)
        {
            if (!address.Busy)
                continue;
            var dialClass = ClassOf(address);
            if (dialClass == DialClass.Automatic || (dialClass == DialClass.Ordinary && address.LostAt is not null))
                automaticInUse++;
            else if (dialClass == DialClass.Ordinary)
                ordinaryInUse++;
        }
        return new DialSlots(automaticInUse, ordinaryInUse,
            AutomaticFree: automaticInUse < _options.MaxAutomaticOutbound,
            LostFree: automaticInUse < _options.MaxAutomaticOutbound + _options.LostPeerRedialSlots,
            OrdinaryFree: ordinaryInUse < _options.TargetOutbound);
    }

    /// <summary>True when <paramref name="address"/>'s class could be chosen now (DialSetSelector takes manual always, the others while their slots last; lost peers also while the lost-peer slots last).</summary>
    private bool IsWanted(KnownAddress address, DialSlots slots) => ClassOf(address) switch
    {
        DialClass.Manual => true,
        DialClass.Automatic => slots.AutomaticFree || (slots.LostFree && address.LostAt is not null),
        _ => slots.OrdinaryFree || (slots.LostFree && address.LostAt is not null),
    };

    /// <summary>
    /// The dialer: a round now, then a sleep until the next time a dial can fall due by time alone (an address's retry
    /// or backoff, a ban's end) or until an event wakes it (<see cref="Wake"/>: a connection or dial ends, so a slot or
    /// an address is free again; an address is learned or promoted; the whitelist changes the class of addresses; a
    /// ban is lifted), at the latest after <see cref="ConnectionManagerOptions.DialInterval"/>.
    /// </summary>
    private async Task DialLoopAsync(CancellationToken token)
    {
        // A wake-up, the due time and the stop all complete the round's wake source (Wake), and only an await follows
        // it: no Task.WhenAny, whose completion would hop to the thread pool instead of the host's scheduler. One timer
        // and one registration serve every round (the timer is re-armed per round). A late tick of the timer can at
        // worst complete the next round's source early: one extra round, as any wake-up gives.
        using var timer = _time.CreateTimer(static s => ((ConnectionManager)s!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var stop = token.Register(static s => ((ConnectionManager)s!).Wake(), this);
        while (true)
        {
            TaskCompletionSource wake;
            lock (_gate)
            {
                if (_wake.Task.IsCompleted)
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _wake;
            }
            // The stop is checked once the round's source is in place: a stop before this is seen here, a later one
            // completes that source (a stop between a check before it and its replacement would wake a source already
            // completed, and the round would wait forever).
            if (token.IsCancellationRequested)
                break;
            var sleep = _options.DialInterval;
            try
            {
                if (DialRound(token) is { } next)
                {
                    // Whole milliseconds, at least one (a real timer may fire a hair early; a zero sleep would spin).
                    var untilDue = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((next - _time.GetUtcNow()).TotalMilliseconds)));
                    if (untilDue < sleep)
                        sleep = untilDue;
                }
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Dial round failed");
            }
            timer.Change(sleep, Timeout.InfiniteTimeSpan);
            await wake.Task;
        }
    }

    /// <summary>
    /// Dials what is due and has a free slot. Returns the earliest time a candidate not dialed now becomes dialable by
    /// time alone (its next attempt, or the end of the ban on its address), or null when only an event can make one
    /// dialable (a slot freeing, a connection to the same node ending).
    /// </summary>
    private DateTimeOffset? DialRound(CancellationToken token)
    {
        if (Volatile.Read(ref _stopped) != 0)
            return null; // stopping: no new connections (they would only say goodbye)
        var now = _time.GetUtcNow();
        // Most rounds have nothing to dial (every class that has a candidate is full, or nothing is due): find that out
        // with one cheap pass over the book before building the connected sets, classifying and ranking. The second
        // pass below repeats every check, so the choice is the same as without this pass.
        lock (_gate)
        {
            if (!AnyDueCandidate(now, out var nextDue))
                return nextDue == DateTimeOffset.MaxValue ? null : nextDue;
        }
        var connected = Peers;
        var connectedIds = connected.Select(p => p.NodeId).ToHashSet();
        var connectedEndpoints = connected.Where(p => p.AdvertisedEndPoint is not null)
            .Select(p => new IPEndPoint(IpRange.Normalize(p.AdvertisedEndPoint!.Address), p.AdvertisedEndPoint.Port)).ToHashSet();
        var toDial = new List<(KnownAddress Address, bool Persistent)>();
        DateTimeOffset? next = null;
        lock (_gate)
        {
            // A class whose slots are all in use cannot be chosen (DialSetSelector takes none of it): its addresses are
            // not checked and ranked every second for nothing (about 12 % of the CPU of a 100-node simulation went
            // here, and again about 12 % when only the ordinary slots were free, as on every masternode).
            var slots = CountSlots();
            var due = new Dictionary<DialCandidate, KnownAddress>();
            foreach (var a in _addresses.Values)
            {
                if (a.Busy || !IsWanted(a, slots))
                    continue;
                if (a.NextAttemptAt > now)
                {
                    if (next is null || a.NextAttemptAt < next)
                        next = a.NextAttemptAt;
                    continue;
                }
                if ((a.NodeId is { } id && connectedIds.Contains(id)) || connectedEndpoints.Contains(a.EndPoint))
                    continue; // dialable once that connection ends (which wakes the dialer)
                if (Policy.GetBan(a.EndPoint.Address) is { } ban)
                {
                    if (ban.Until is { } end && (next is null || end < next))
                        next = end;
                    continue;
                }
                due.Add(new DialCandidate(a.EndPoint, ClassOf(a), a.Source, a.Failures, a.LostAt is not null, a.NextAttemptAt), a);
            }
            // Ranks were computed once per address (a SHA-256 each): a round costs no hashing.
            var chosen = DialSetSelector.Select(due.Keys.ToList(), slots.AutomaticInUse, slots.OrdinaryInUse, _options.MaxAutomaticOutbound,
                _options.TargetOutbound, c => due[c].Rank, _options.LostPeerRedialSlots);
            foreach (var candidate in chosen)
            {
                var address = due[candidate];
                address.Busy = true;
                toDial.Add((address, candidate.Class != DialClass.Ordinary));
            }
        }
        foreach (var (address, persistent) in toDial)
            Track(DialAsync(address, persistent, token));
        return next;
    }

    private async Task DialAsync(KnownAddress address, bool persistent, CancellationToken token)
    {
        ITransportConnection connection;
        try
        {
            using var deadline = new CancellationTokenSource(_options.DialTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token);
            _logger.LogDebug("Dialing {EndPoint} ({Source}{Persistent})", address.EndPoint, address.Source, persistent ? ", persistent" : "");
            connection = await _transport.DialAsync(address.EndPoint, linked.Token);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException or IOException)
        {
            if (token.IsCancellationRequested)
                return;
            ScheduleRetry(address, ex is OperationCanceledException ? "dial timed out" : $"dial failed: {ex.Message}", stable: false);
            Wake();
            return;
        }
        await RunConnectionAsync(connection, pending: null, address, token);
    }

    private void OnOutboundConnected(KnownAddress address, PeerConnection peer)
    {
        lock (_gate)
        {
            address.NodeId = peer.NodeId;
            SetLastConnected(address, peer.ConnectedAt);
        }
    }

    private void OnOutboundEnded(KnownAddress address, PeerConnection? peer)
    {
        if (_stopping.IsCancellationRequested)
            return;
        if (peer is null)
        {
            ScheduleRetry(address, "handshake failed", stable: false);
            return;
        }
        if (peer.CloseReason is "duplicate" or "goodbye: duplicate")
        {
            // The node is connected through the other connection; redial only once that one ends.
            lock (_gate)
            {
                address.Busy = false;
                address.NextAttemptAt = _time.GetUtcNow();
            }
            return;
        }
        bool stable = (peer.ClosedAt ?? _time.GetUtcNow()) - peer.ConnectedAt >= _options.StableConnectionAfter;
        // A peer we had (not one that refused us at once) may come back through a lost-peer slot; not one we banned (it
        // may not come back before the ban ends). The policy is asked before the gate: it has its own lock.
        if (stable && !Policy.IsBanned(address.EndPoint.Address))
        {
            lock (_gate)
            {
                if (ClassOf(address) == DialClass.Automatic)
                    MarkLost(address);
            }
        }
        ScheduleRetry(address, peer.CloseReason ?? "closed", stable);
    }

    private void ScheduleRetry(KnownAddress address, string reason, bool stable)
    {
        bool anyPeer = _registry.Count > 0; // read before the gate: the registry has its own lock
        lock (_gate)
        {
            if (stable)
                address.Failures = 0;
            address.Failures++;
            if (address.LastConnectedAt is null && address.Source is AddressSource.Masternode or AddressSource.Gossip
                && address.Failures >= UnansweredDialLimit && anyPeer
                && _addresses.TryGetValue(address.EndPoint, out var entry) && ReferenceEquals(entry, address))
            {
                // Learned from the network and never answered: dropped, as Bitcoin Core's address manager drops a
                // "terrible" address. A masternode's next announcement adds it again. Only while some peer is
                // connected: a node that reaches nobody (its own link is down) does not blame the addresses.
                ForgetAddress(address);
                address.Busy = false;
                _logger.LogDebug("Forgot {EndPoint}: {Failures} dials and no connection ever ({Reason})", address.EndPoint, address.Failures, reason);
                return;
            }
            TimeSpan delay;
            lock (_random) // Random is not thread-safe; every user takes this lock (the gate above is not theirs)
                delay = _options.Reconnect.NextDelay(address.Failures, IsPersistent(address), _random);
            address.NextAttemptAt = _time.GetUtcNow() + delay;
            address.LastError = reason;
            address.Busy = false;
            _logger.LogDebug("Will redial {EndPoint} in {Delay} (failure {Failures}: {Reason})", address.EndPoint, delay, address.Failures, reason);
        }
    }

    private void AddBootstrapPeers(string why)
    {
        if (_bootstrap.Count == 0)
            return;
        _logger.LogInformation("Using {Count} bootstrap peers: {Why}", _bootstrap.Count, why);
        foreach (var endpoint in _bootstrap)
            AddAddress(endpoint, AddressSource.Bootstrap);
        Wake();
    }

    private async Task DiscoveryLoopAsync(Uri url, CancellationToken token)
    {
        var http = _options.DiscoveryHttpClient ?? (_ownedHttpClient = new HttpClient());
        var client = new DiscoveryClient(http, _time, _options.Discovery);
        while (!token.IsCancellationRequested)
        {
            try
            {
                var result = await client.FetchAsync(url, _options.DefaultPort, token);
                ApplyDiscovery(result);
                await Task.Delay(_options.DiscoveryInterval, _time, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Discovery round failed");
                try
                {
                    await Task.Delay(_options.DiscoveryInterval, _time, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void ApplyDiscovery(DiscoveryResult result)
    {
        if (result.ShouldFallBack)
        {
            _logger.LogWarning("Discovery failed ({Failure}: {Detail}); falling back to bootstrap peers", result.Failure, result.Detail);
            AddBootstrapPeers("discovery failed");
            return;
        }
        _logger.LogInformation("Discovery returned {Count} peers ({Skipped} bad entries skipped)", result.Endpoints.Count, result.SkippedEntries);
        foreach (var endpoint in result.Endpoints)
            AddAddress(endpoint, AddressSource.Discovery);
        if (_options.AutoWhitelistDiscovered)
        {
            var ranges = result.Endpoints.Select(e => IpRange.FromAddress(e.Address)).Distinct().ToArray();
            var report = Policy.ReplaceWhitelist(WhitelistSource.Discovery, ranges, "discovery");
            foreach (var added in report.Added)
                _logger.LogInformation("Whitelisted masternode from discovery: {Ip}", added);
            foreach (var removed in report.Removed)
                _logger.LogInformation("Removed discovery whitelist entry {Ip}: no longer listed", removed);
            if (report.DroppedByCap.Count > 0)
                _logger.LogWarning("{Count} discovered addresses not whitelisted: automatic whitelist cap reached", report.DroppedByCap.Count);
        }
        Wake();
    }
}
