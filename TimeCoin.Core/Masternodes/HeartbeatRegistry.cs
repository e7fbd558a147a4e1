using System.Globalization;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>
/// The set of known masternodes, keyed by Ed25519 public key and kept alive only by signed heartbeats and
/// announcements. Liveness is decided by the clock in <see cref="Evaluate"/>: offline after
/// <see cref="HeartbeatOptions.OfflineAfter"/> without a heartbeat, removed after
/// <see cref="HeartbeatOptions.RemoveAfterOffline"/> offline.
/// </summary>
/// <remarks>
/// <para>At most <see cref="HeartbeatOptions.MaxMasternodes"/> masternodes are held. Announcements are self-signed, so
/// anyone can fill the registry with made-up masternodes that never send a heartbeat; when it is full, a new
/// masternode's verified announcement therefore pushes out an offline entry: one that never sent a heartbeat (announced
/// only) first, and among those the one offline the longest (oldest <see cref="MasternodeRecord.StatusSince"/>, ties by
/// key), so a flood of made-up masternodes cannot push out a real one that is down for a while; raising
/// <see cref="MasternodeRemoved"/> as a normal removal does. Active masternodes are never pushed out: with none
/// offline the announcement is refused (<see cref="MasternodeRejection.RegistryFull"/>). Offline entries are kept in a
/// set in that order, updated wherever a status changes, so finding the one to push out costs
/// O(log n), not a scan of the registry, under a flood of announcements.</para>
/// <para>There is deliberately no way to mark a masternode offline because a connection dropped: heartbeats
/// travel through any peer, so a lost TCP connection says nothing about the masternode.</para>
/// <para>Thread-safe. Events are raised after the registry's lock is released, in the order the changes happened,
/// on the thread that made (or, under contention, that drains) the change; handlers may call back into the
/// registry.</para>
/// </remarks>
public sealed class HeartbeatRegistry
{
    private readonly Lock _gate = new();
    private readonly Lock _dispatchGate = new();
    private readonly HeartbeatOptions _options;
    private readonly TimeProvider _time;
    private readonly string _network;
    private readonly Chain.SignatureCache? _signatures;
    private readonly Dictionary<PublicKey, Entry> _entries = new();
    // The offline entries, never-heartbeat ones first, then longest offline first (StatusSince, then key): the ones a
    // new masternode may push out of a full registry. An entry's StatusSince and LastHeartbeat change only while it is
    // out of this set.
    private readonly SortedSet<Entry> _offline = new(OfflineOrder.Instance);
    private readonly Queue<(EventKind Kind, MasternodeEventArgs Args)> _pendingEvents = new();

    /// <summary>Creates an empty registry for one network.</summary>
    /// <param name="options">Timing and limits.</param>
    /// <param name="time">The clock.</param>
    /// <param name="network">This node's network name; messages for any other network are refused.</param>
    /// <exception cref="ArgumentException">Invalid options (all problems listed) or an empty network name.</exception>
    public HeartbeatRegistry(HeartbeatOptions options, TimeProvider time, string network)
        : this(options, time, network, signatures: null)
    {
    }

    /// <summary>As <see cref="HeartbeatRegistry(HeartbeatOptions, TimeProvider, string)"/>, verifying signatures through
    /// <paramref name="signatures"/> (a signature seen valid before is not verified again); null verifies every one.</summary>
    /// <param name="options">Timing and limits.</param>
    /// <param name="time">The clock.</param>
    /// <param name="network">This node's network name; messages for any other network are refused.</param>
    /// <param name="signatures">Verified-signature cache, or null.</param>
    /// <exception cref="ArgumentException">Invalid options (all problems listed) or an empty network name.</exception>
    internal HeartbeatRegistry(HeartbeatOptions options, TimeProvider time, string network, Chain.SignatureCache? signatures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid heartbeat options: " + string.Join(" ", errors), nameof(options));
        if (MasternodeWire.CheckNetwork(network) is { } networkError)
            throw new ArgumentException($"Invalid network: {networkError}.", nameof(network));
        _options = options;
        _time = time;
        _network = network;
        _signatures = signatures;
    }

    /// <summary>A masternode was announced for the first time (or restored).</summary>
    public event EventHandler<MasternodeEventArgs>? MasternodeAdded;

    /// <summary>A masternode was forgotten after being offline too long, pushed out of a full registry by a new one
    /// (never a heartbeat first, then the longest offline), or dropped by a restore.</summary>
    public event EventHandler<MasternodeEventArgs>? MasternodeRemoved;

    /// <summary>A masternode went offline, or came back.</summary>
    public event EventHandler<MasternodeEventArgs>? MasternodeStatusChanged;

    /// <summary>A masternode's signed address changed; the follower should move its whitelist entry.</summary>
    public event EventHandler<MasternodeEventArgs>? MasternodeAddressChanged;

    /// <summary>The network this registry serves.</summary>
    public string Network => _network;

    /// <summary>Number of known masternodes, active or offline.</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>
    /// The active masternodes in canonical order (by key bytes), so every node derives the same list from the same
    /// heartbeats. A new list on every call.
    /// </summary>
    public IReadOnlyList<MasternodeRecord> ActiveMasternodes => Query(MasternodeStatus.Active);

    /// <summary>Every known masternode, active or offline, in canonical order (by key bytes).</summary>
    public IReadOnlyList<MasternodeRecord> GetAll() => Query(null);

    /// <summary>True when <paramref name="key"/> is a known masternode, active or offline (no record is built).</summary>
    public bool Contains(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
            return _entries.ContainsKey(key);
    }

    /// <summary>The record for <paramref name="key"/>, or null when unknown.</summary>
    public MasternodeRecord? Find(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
            return _entries.TryGetValue(key, out var entry) ? entry.ToRecord(_time.GetUtcNow()) : null;
    }

    /// <summary>
    /// Offers an announcement. Accepted when it is for this network, within the clock skew, signed by the
    /// announced key and newer than the last announcement of that key. A new key is added as active; a known key
    /// has its address (at most once per <see cref="HeartbeatOptions.MinAddressChangeInterval"/>) and tier updated and
    /// counts as heard from. When the registry holds
    /// <see cref="HeartbeatOptions.MaxMasternodes"/> already, a new key pushes out an offline masternode, one that
    /// never sent a heartbeat first, then the longest offline (<see cref="MasternodeRemoved"/> is raised for it), or is
    /// refused with <see cref="MasternodeRejection.RegistryFull"/> when none is offline.
    /// </summary>
    public MasternodeAcceptResult Accept(MasternodeAnnouncement announcement) => Accept(announcement, listed: false);

    /// <summary>
    /// Offers an announcement taken from a <c>Masternodes</c> list (the reply to GetMasternodes). A list carries the
    /// last announcement each masternode signed, and a masternode re-signs it only every few heartbeats, so the entry
    /// may be older than <see cref="HeartbeatOptions.MaxClockSkew"/> allows for fresh gossip: it is accepted when
    /// signed at most <see cref="HeartbeatOptions.MaxListedAnnouncementAge"/> ago (no more than the skew ahead), and
    /// otherwise by the same rules as <see cref="Accept(MasternodeAnnouncement)"/>. Such an entry counts as heard from
    /// at its signed time, not on arrival: a masternode known only from an old entry goes offline when that time is
    /// <see cref="HeartbeatOptions.OfflineAfter"/> old, unless a heartbeat comes; a new masternode whose entry is older
    /// than that already is added offline (its offline period starting now).
    /// </summary>
    public MasternodeAcceptResult AcceptListed(MasternodeAnnouncement announcement) => Accept(announcement, listed: true);

    private MasternodeAcceptResult Accept(MasternodeAnnouncement announcement, bool listed)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        MasternodeAcceptResult result;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var maxAge = listed ? _options.MaxListedAnnouncementAge : _options.MaxClockSkew;
            if (CheckCommon(announcement.Network, announcement.Timestamp, now, listed ? "listed announcement" : "announcement", maxAge) is { } common)
                return common;
            var heardAt = listed && announcement.Timestamp < now ? announcement.Timestamp : now;
            // The cheap refusals come before the signature check: an entry that is not newer (a replayed list) or a
            // new key with no room costs a dictionary look-up, not an Ed25519 verification.
            bool known = _entries.TryGetValue(announcement.MasternodeKey, out var entry);
            if (known && announcement.Timestamp <= entry!.LastAnnouncementTimestamp)
                return MasternodeAcceptResult.Reject(MasternodeRejection.AnnouncementNotNewer, Format(
                    $"announcement for {announcement.MasternodeKey.ToShortString()} signed at {announcement.Timestamp:O} is not newer than the accepted one of {entry.LastAnnouncementTimestamp:O}"));
            if (!known && _entries.Count >= _options.MaxMasternodes && _offline.Count == 0)
                return MasternodeAcceptResult.Reject(MasternodeRejection.RegistryFull,
                    $"the registry already holds {_entries.Count} masternodes (limit {_options.MaxMasternodes}), none of them offline");
            if (!(_signatures?.Verify(announcement.GetSigningBytes(), announcement.Signature.Span, announcement.MasternodeKey) ?? announcement.VerifySignature()))
                return MasternodeAcceptResult.Reject(MasternodeRejection.BadSignature,
                    $"announcement for {announcement.MasternodeKey.ToShortString()} is not signed by that key (forged or tampered)");

            if (known)
            {
                entry!.LastAnnouncementTimestamp = announcement.Timestamp;
                entry.Tier = announcement.Tier;
                HeardFromUnlocked(entry, announcement.Address, heardAt, now);
                result = MasternodeAcceptResult.Accept($"announcement from known masternode {announcement.MasternodeKey.ToShortString()} at {announcement.Address}");
            }
            else
            {
                Entry? pushedOut = null;
                if (_entries.Count >= _options.MaxMasternodes)
                {
                    pushedOut = _offline.Min!;
                    RemoveUnlocked(pushedOut);
                }
                entry = new Entry(announcement.MasternodeKey, announcement.Address, announcement.Tier, now, announcement.Timestamp) { LastSeen = heardAt };
                // A list entry signed longer ago than the offline limit: offline from the start, as Evaluate would make
                // it (the offline period starts now, when it is observed), not Active until the next evaluation.
                if (now - heardAt > _options.OfflineAfter)
                    entry.Status = MasternodeStatus.Offline;
                _entries.Add(entry.Key, entry);
                if (entry.Status == MasternodeStatus.Offline)
                    _offline.Add(entry);
                _pendingEvents.Enqueue((EventKind.Added, entry.ToEventArgs()));
                result = MasternodeAcceptResult.Accept(pushedOut is null
                    ? $"new masternode {announcement.MasternodeKey.ToShortString()} at {announcement.Address} ({announcement.Tier})"
                    : Format($"new masternode {announcement.MasternodeKey.ToShortString()} at {announcement.Address} ({announcement.Tier}), pushing out {pushedOut.Key.ToShortString()}, offline since {pushedOut.StatusSince:O}"));
            }
        }
        DispatchEvents();
        return result;
    }

    /// <summary>
    /// Offers a heartbeat. Accepted when it is for this network, within the clock skew, from an announced
    /// masternode, signed by its key, and its sequence is above the last accepted one. The masternode then counts
    /// as heard from now (an offline one becomes active again) and its address (at most once per
    /// <see cref="HeartbeatOptions.MinAddressChangeInterval"/>) and reported height are updated.
    /// </summary>
    public MasternodeAcceptResult Accept(Heartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (CheckCommon(heartbeat.Network, heartbeat.Timestamp, now, "heartbeat", _options.MaxClockSkew) is { } common)
                return common;
            if (!_entries.TryGetValue(heartbeat.MasternodeKey, out var entry))
                return MasternodeAcceptResult.Reject(MasternodeRejection.UnknownMasternode,
                    $"heartbeat from {heartbeat.MasternodeKey.ToShortString()}, which has not been announced");
            if (!(_signatures?.Verify(heartbeat.GetSigningBytes(), heartbeat.Signature.Span, heartbeat.MasternodeKey) ?? heartbeat.VerifySignature()))
                return MasternodeAcceptResult.Reject(MasternodeRejection.BadSignature,
                    $"heartbeat for {heartbeat.MasternodeKey.ToShortString()} is not signed by that key (forged or tampered)");
            if (entry.LastSequence is { } last && heartbeat.Sequence <= last)
                return MasternodeAcceptResult.Reject(MasternodeRejection.SequenceNotIncreasing, Format(
                    $"heartbeat from {heartbeat.MasternodeKey.ToShortString()} has sequence {heartbeat.Sequence}, not above the last accepted {last} (replay or duplicate)"));

            entry.LastSequence = heartbeat.Sequence;
            entry.LastReportedHeight = heartbeat.ChainHeight;
            // Heard from first: an Offline entry leaves the Offline set (ordered by whether it ever sent a heartbeat)
            // before LastHeartbeat changes.
            HeardFromUnlocked(entry, heartbeat.Address, now, now);
            entry.LastHeartbeat = now;
        }
        DispatchEvents();
        return HeartbeatAccepted;
    }

    // One text for every accepted heartbeat: no caller reads the message of an acceptance, and formatting the
    // sequence, key and height built several strings for each of them (thousands an hour on a large network).
    private static readonly MasternodeAcceptResult HeartbeatAccepted = MasternodeAcceptResult.Accept("heartbeat accepted");

    /// <summary>
    /// Applies the clock: an active masternode not heard from for more than
    /// <see cref="HeartbeatOptions.OfflineAfter"/> becomes offline; one offline for more than
    /// <see cref="HeartbeatOptions.RemoveAfterOffline"/> is removed. Call every
    /// <see cref="HeartbeatOptions.EvaluateInterval"/>.
    /// </summary>
    public void Evaluate()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            List<Entry>? removed = null;
            foreach (var entry in _entries.Values.OrderBy(e => e.Key))
            {
                if (entry.Status == MasternodeStatus.Active && now - entry.LastSeen > _options.OfflineAfter)
                {
                    entry.Status = MasternodeStatus.Offline;
                    entry.StatusSince = now;
                    _offline.Add(entry);
                    _pendingEvents.Enqueue((EventKind.StatusChanged, entry.ToEventArgs(previousStatus: MasternodeStatus.Active)));
                }
                else if (entry.Status == MasternodeStatus.Offline && now - entry.StatusSince > _options.RemoveAfterOffline)
                {
                    (removed ??= new()).Add(entry);
                }
            }
            foreach (var entry in removed ?? [])
                RemoveUnlocked(entry);
        }
        DispatchEvents();
    }

    /// <summary>Every record, in canonical order, for persistence.</summary>
    public IReadOnlyList<MasternodeRecord> Snapshot() => GetAll();

    /// <summary>
    /// Replaces the registry's contents with persisted records (sequence numbers included, so replays stay refused
    /// across restarts). Raises <see cref="MasternodeRemoved"/> for every record held before and
    /// <see cref="MasternodeAdded"/> for every restored one, so followers end up matching. A restored record's
    /// status is kept; the next <see cref="Evaluate"/> applies the clock to it.
    /// </summary>
    /// <exception cref="ArgumentException">A record is malformed or a key appears twice; nothing is changed.</exception>
    public void Restore(IEnumerable<MasternodeRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var restored = new Dictionary<PublicKey, Entry>();
        int index = 0;
        foreach (var record in records)
        {
            if (record is null || record.Key is null)
                throw new ArgumentException($"Record {index} is null or has no key.", nameof(records));
            if (MasternodeWire.CheckAddress(record.Address) is { } addressError)
                throw new ArgumentException($"Record {index} ({record.Key.ToShortString()}): {addressError}.", nameof(records));
            if (!Enum.IsDefined(record.Tier) || !Enum.IsDefined(record.Status))
                throw new ArgumentException($"Record {index} ({record.Key.ToShortString()}): unknown tier or status.", nameof(records));
            if (!restored.TryAdd(record.Key, Entry.FromRecord(record)))
                throw new ArgumentException($"Record {index}: key {record.Key.ToShortString()} appears twice.", nameof(records));
            index++;
        }
        if (restored.Count > _options.MaxMasternodes)
            throw new ArgumentException($"{restored.Count} records exceed the limit of {_options.MaxMasternodes} masternodes.", nameof(records));

        lock (_gate)
        {
            foreach (var old in _entries.Values.OrderBy(e => e.Key))
                _pendingEvents.Enqueue((EventKind.Removed, old.ToEventArgs()));
            _entries.Clear();
            _offline.Clear();
            foreach (var entry in restored.Values.OrderBy(e => e.Key))
            {
                _entries.Add(entry.Key, entry);
                if (entry.Status == MasternodeStatus.Offline)
                    _offline.Add(entry);
                _pendingEvents.Enqueue((EventKind.Added, entry.ToEventArgs()));
            }
        }
        DispatchEvents();
    }

    private MasternodeAcceptResult? CheckCommon(string network, DateTimeOffset signedAt, DateTimeOffset now, string what, TimeSpan maxAge)
    {
        if (!string.Equals(network, _network, StringComparison.Ordinal))
            return MasternodeAcceptResult.Reject(MasternodeRejection.WrongNetwork,
                $"{what} is for network '{network}', this node is on '{_network}'");
        var skew = signedAt - now;
        if (skew > _options.MaxClockSkew)
            return MasternodeAcceptResult.Reject(MasternodeRejection.TimestampOutOfRange, Format(
                $"{what} timestamp is {skew.TotalSeconds:0.###} s in the future (max skew {_options.MaxClockSkew.TotalSeconds:0.###} s)"));
        if (-skew > maxAge)
            return MasternodeAcceptResult.Reject(MasternodeRejection.TimestampOutOfRange, Format(
                $"{what} timestamp is {(-skew).TotalSeconds:0.###} s in the past (max {maxAge.TotalSeconds:0.###} s)"));
        return null;
    }

    private void HeardFromUnlocked(Entry entry, string address, DateTimeOffset heardAt, DateTimeOffset now)
    {
        if (heardAt > entry.LastSeen)
            entry.LastSeen = heardAt;
        // At most one address change per MinAddressChangeInterval (the first one any time): a message naming another
        // address sooner is taken for everything else, its address kept for a later message to bring.
        if (!string.Equals(entry.Address, address, StringComparison.Ordinal)
            && !(entry.AddressChangedAt is { } changed && now - changed < _options.MinAddressChangeInterval))
        {
            string previous = entry.Address;
            entry.Address = address;
            entry.AddressChangedAt = now;
            _pendingEvents.Enqueue((EventKind.AddressChanged, entry.ToEventArgs(previousAddress: previous)));
        }
        if (entry.Status == MasternodeStatus.Offline && now - entry.LastSeen <= _options.OfflineAfter)
        {
            _offline.Remove(entry);
            entry.Status = MasternodeStatus.Active;
            entry.StatusSince = now;
            _pendingEvents.Enqueue((EventKind.StatusChanged, entry.ToEventArgs(previousStatus: MasternodeStatus.Offline)));
        }
    }

    // Forgets an entry (offline too long, or pushed out of a full registry) and queues its Removed event.
    private void RemoveUnlocked(Entry entry)
    {
        _entries.Remove(entry.Key);
        _offline.Remove(entry);
        _pendingEvents.Enqueue((EventKind.Removed, entry.ToEventArgs()));
    }

    private IReadOnlyList<MasternodeRecord> Query(MasternodeStatus? status)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var list = new List<MasternodeRecord>(_entries.Count);
            foreach (var entry in _entries.Values)
            {
                if (status is null || entry.Status == status)
                    list.Add(entry.ToRecord(now));
            }
            list.Sort((a, b) => a.Key.CompareTo(b.Key));
            return list;
        }
    }

    private void DispatchEvents()
    {
        lock (_dispatchGate)
        {
            while (true)
            {
                (EventKind Kind, MasternodeEventArgs Args) next;
                lock (_gate)
                {
                    if (!_pendingEvents.TryDequeue(out next))
                        return;
                }
                var handler = next.Kind switch
                {
                    EventKind.Added => MasternodeAdded,
                    EventKind.Removed => MasternodeRemoved,
                    EventKind.StatusChanged => MasternodeStatusChanged,
                    _ => MasternodeAddressChanged,
                };
                handler?.Invoke(this, next.Args);
            }
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private enum EventKind
    {
        Added,
        Removed,
        StatusChanged,
        AddressChanged,
    }

    // Never a heartbeat first, then longest offline; the key breaks ties (many entries go offline in the same
    // evaluation) and makes the order total, as a SortedSet needs.
    private sealed class OfflineOrder : IComparer<Entry>
    {
        public static readonly OfflineOrder Instance = new();

        public int Compare(Entry? x, Entry? y)
        {
            if (ReferenceEquals(x, y))
                return 0;
            if (x is null)
                return -1;
            if (y is null)
                return 1;
            // Entries that never sent a heartbeat (announced only, as made-up masternodes are) go first.
            int byBeat = (x.LastHeartbeat is not null).CompareTo(y.LastHeartbeat is not null);
            if (byBeat != 0)
                return byBeat;
            int bySince = x.StatusSince.CompareTo(y.StatusSince);
            return bySince != 0 ? bySince : x.Key.CompareTo(y.Key);
        }
    }

    private sealed class Entry
    {
        public Entry(PublicKey key, string address, MasternodeTier tier, DateTimeOffset now, DateTimeOffset announcedAt)
        {
            Key = key;
            Address = address;
            Tier = tier;
            FirstSeen = now;
            LastSeen = now;
            Status = MasternodeStatus.Active;
            StatusSince = now;
            LastAnnouncementTimestamp = announcedAt;
        }

        public PublicKey Key { get; }
        public string Address { get; set; }
        public MasternodeTier Tier { get; set; }
        public DateTimeOffset FirstSeen { get; private init; }
        public DateTimeOffset LastSeen { get; set; }
        public DateTimeOffset? LastHeartbeat { get; set; }
        public MasternodeStatus Status { get; set; }
        public DateTimeOffset StatusSince { get; set; }
        public ulong? LastSequence { get; set; }
        public ulong? LastReportedHeight { get; set; }
        public DateTimeOffset LastAnnouncementTimestamp { get; set; }
        public DateTimeOffset? AddressChangedAt { get; set; } // not persisted: a restart allows one change at once

        public static Entry FromRecord(MasternodeRecord record) =>
            new(record.Key, record.Address, record.Tier, record.FirstSeen, record.LastAnnouncementTimestamp)
            {
                LastSeen = record.LastSeen,
                LastHeartbeat = record.LastHeartbeat,
                Status = record.Status,
                StatusSince = record.StatusSince,
                LastSequence = record.LastSequence,
                LastReportedHeight = record.LastReportedHeight,
            };

        public MasternodeRecord ToRecord(DateTimeOffset now) => new()
        {
            Key = Key,
            Address = Address,
            Tier = Tier,
            FirstSeen = FirstSeen,
            LastSeen = LastSeen,
            LastHeartbeat = LastHeartbeat,
            Status = Status,
            StatusSince = StatusSince,
            Uptime = Status == MasternodeStatus.Active && now > StatusSince ? now - StatusSince : TimeSpan.Zero,
            LastSequence = LastSequence,
            LastReportedHeight = LastReportedHeight,
            LastAnnouncementTimestamp = LastAnnouncementTimestamp,
        };

        public MasternodeEventArgs ToEventArgs(MasternodeStatus? previousStatus = null, string? previousAddress = null) =>
            new(Key, Address, Tier, Status, previousStatus, previousAddress);
    }
}
