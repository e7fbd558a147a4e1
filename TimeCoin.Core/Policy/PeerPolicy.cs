using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TimeCoin.Core.Policy;

/// <summary>
/// The node's peer policy: whitelist (with sources and permissions), bans, the violation ladder, per-message rate
/// limits and inbound admission, in one place. Pure domain: it never touches a socket; every method returns a
/// decision or a state change that the caller carries out. Safe to call from many connections at once.
/// </summary>
/// <remarks>
/// Precedence rules (see docs/peer-policy.md):
/// <list type="bullet">
/// <item>A manual (config or rpc) ban beats every whitelist entry, including a manual no-ban entry.</item>
/// <item>An automatic ban never applies to an address covered by a no-ban entry; adding such an entry lifts the
/// automatic bans inside its range. No-ban can only be granted by manual (config or rpc) entries.</item>
/// <item>Automatic (discovery, masternode) entries never make a peer ban-proof, so both kinds of ban apply to
/// them.</item>
/// </list>
/// </remarks>
public sealed class PeerPolicy
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<(IpRange Range, WhitelistSource Source), WhitelistEntry> _whitelist = [];
    // One ban per (range, source), like the whitelist: a config ban and an rpc or automatic ban on the same range
    // coexist, and each source lifts only its own. (An rpc ban replaces an automatic ban on its range, and an
    // automatic ban is refused where a manual one is, so rpc and automatic never share a range.)
    private readonly Dictionary<(IpRange Range, BanSource Source), BanEntry> _bans = [];
    private readonly Dictionary<IPAddress, ViolationCounter> _violations = [];
    private readonly Queue<AuditRecord> _audit = new();
    // What the whitelist says of one address (see StandingLocked), remembered until the whitelist next changes.
    // (IPv4 by its 32 bits, IPv6 by its 128; integer keys hash and compare cheaply.)
    private readonly Dictionary<uint, AddressStanding> _standingsV4 = [];
    private readonly Dictionary<UInt128, AddressStanding> _standingsV6 = [];
    private int _discoveryEntryCount;
    private long _whitelistVersion;
    private WhitelistEntry[]? _sortedWhitelist;
    private int _masternodeEntryCount;

    /// <summary>Creates an empty policy.</summary>
    /// <param name="options">Limits and thresholds.</param>
    /// <param name="time">The clock for ban expiry, violation reset, rate limits and audit times.</param>
    /// <param name="logger">Optional; bans, drops and severe violations of no-ban peers (Critical) are logged.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public PeerPolicy(PeerPolicyOptions options, TimeProvider time, ILogger<PeerPolicy>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid peer policy options: " + string.Join(" ", errors), nameof(options));
        Options = options;
        _time = time;
        _logger = logger ?? NullLogger<PeerPolicy>.Instance;
        RateLimiter = new RateLimiter(options.RateLimits, options.DefaultRateLimit, time);
    }

    /// <summary>Raised after each whitelist or ban change, outside the policy's lock, so the node can persist it.</summary>
    public event EventHandler<AuditRecord>? AuditRecorded;

    /// <summary>Raised after each recorded violation, outside the policy's lock, so the node can alert and count it.</summary>
    public event EventHandler<ViolationRecord>? ViolationRecorded;

    /// <summary>
    /// A number that changes (counts up) whenever any whitelist entry is added, changed or removed, so a caller that
    /// derived something from the whitelist can tell whether it still holds without asking again.
    /// </summary>
    public long WhitelistVersion => Interlocked.Read(ref _whitelistVersion); // counted up under the lock, read without it

    /// <summary>The options this policy was built with.</summary>
    public PeerPolicyOptions Options { get; }

    /// <summary>The per-(peer, message kind) token buckets.</summary>
    internal RateLimiter RateLimiter { get; }

    // ---------------------------------------------------------------- whitelist

    /// <summary>
    /// Adds or updates the entry for (<paramref name="range"/>, <paramref name="source"/>). Entries of other sources
    /// for the same range are untouched. A manual entry with no-ban lifts the automatic bans inside its range.
    /// </summary>
    /// <param name="range">The addresses to whitelist.</param>
    /// <param name="source">Who adds it.</param>
    /// <param name="reason">Why, for operators and the audit trail.</param>
    /// <param name="permissions">What to grant; null for the source's default (<see cref="PeerPermissionNames.DefaultFor"/>).</param>
    /// <returns>False when the entry was dropped because the automatic-entry cap is reached (an audit record says so).</returns>
    /// <exception cref="ArgumentException">No permission at all, or no-ban requested for an automatic source.</exception>
    public bool AddWhitelist(IpRange range, WhitelistSource source, string reason, PeerPermissions? permissions = null)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(reason);
        var granted = ResolvePermissions(source, permissions);
        var changes = new List<AuditRecord>();
        bool stored;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            stored = AddLocked(range, source, granted, reason, now, changes);
            if (stored)
                LiftAutomaticBansLocked(range, source, granted, now, changes);
            AppendAuditLocked(changes);
        }
        Publish(changes);
        return stored;
    }

    /// <summary>Removes the entry of <paramref name="source"/> for exactly <paramref name="range"/>; other sources keep theirs.</summary>
    /// <returns>False when there was no such entry.</returns>
    public bool RemoveWhitelist(IpRange range, WhitelistSource source, string reason = "removed")
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(reason);
        var changes = new List<AuditRecord>();
        bool removed;
        lock (_gate)
        {
            removed = RemoveLocked(range, source, reason, _time.GetUtcNow(), changes);
            AppendAuditLocked(changes);
        }
        Publish(changes);
        return removed;
    }

    /// <summary>
    /// Replaces every entry of <paramref name="source"/> with <paramref name="ranges"/>, each with the source's
    /// default permissions: ranges no longer listed lose their entry (a discovery refresh). For automatic sources,
    /// entries already present are kept first, then new ranges in the given order until the cap is reached; the
    /// rest are reported as dropped.
    /// </summary>
    public WhitelistReplaceReport ReplaceWhitelist(WhitelistSource source, IEnumerable<IpRange> ranges, string reason)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        return ReplaceWhitelistWithSpecs(source, ranges.Select(r => new WhitelistSpec(r ?? throw new ArgumentException("A range is null.", nameof(ranges)), null)), reason);
    }

    /// <summary>
    /// Replaces every entry of <paramref name="source"/> with <paramref name="specs"/> (a configuration reload);
    /// like the range overload, but each line may carry its own permissions. A range listed twice keeps its last
    /// line.
    /// </summary>
    /// <exception cref="ArgumentException">A line grants no-ban to an automatic source.</exception>
    public WhitelistReplaceReport ReplaceWhitelistWithSpecs(WhitelistSource source, IEnumerable<WhitelistSpec> specs, string reason)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(reason);
        var wanted = new Dictionary<IpRange, PeerPermissions>();
        var order = new List<IpRange>();
        foreach (var spec in specs)
        {
            ArgumentNullException.ThrowIfNull(spec, nameof(specs));
            if (!wanted.ContainsKey(spec.Range))
                order.Add(spec.Range);
            wanted[spec.Range] = ResolvePermissions(source, spec.Permissions);
        }

        var changes = new List<AuditRecord>();
        var added = new List<IpRange>();
        var removed = new List<IpRange>();
        var dropped = new List<IpRange>();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var current = _whitelist.Keys.Where(k => k.Source == source).Select(k => k.Range).ToList();
            foreach (var range in current.Where(r => !wanted.ContainsKey(r)).Order())
            {
                RemoveLocked(range, source, reason, now, changes);
                removed.Add(range);
            }
            var present = current.Where(wanted.ContainsKey).ToHashSet();
            foreach (var range in order.Where(present.Contains).Concat(order.Where(r => !present.Contains(r))))
            {
                var isNew = !present.Contains(range);
                if (!AddLocked(range, source, wanted[range], reason, now, changes))
                {
                    dropped.Add(range);
                    continue;
                }
                if (isNew)
                    added.Add(range);
                LiftAutomaticBansLocked(range, source, wanted[range], now, changes);
            }
            AppendAuditLocked(changes);
        }
        if (dropped.Count > 0)
        {
            _logger.LogWarning("Whitelist refresh from {Source}: {Dropped} entries dropped, cap of {Cap} automatic entries reached",
                source, dropped.Count, CapOf(source));
        }
        Publish(changes);
        return new WhitelistReplaceReport(source, added, removed, dropped);
    }

    /// <summary>The union of the permissions of every entry whose range contains <paramref name="address"/>.</summary>
    public PeerPermissions GetPermissions(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        lock (_gate)
            return PermissionsLocked(normalized);
    }

    /// <summary>True when any entry, of any source, contains <paramref name="address"/>.</summary>
    public bool IsWhitelisted(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        lock (_gate)
            return IsWhitelistedLocked(normalized);
    }

    /// <summary>
    /// What the whitelist says of <paramref name="address"/> (<see cref="GetPermissions"/>, <see cref="IsWhitelisted"/>
    /// and <see cref="IsManuallyWhitelisted"/> in one look-up) and the <see cref="WhitelistVersion"/> it holds for.
    /// </summary>
    public WhitelistStanding GetStanding(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        lock (_gate)
        {
            var standing = StandingLocked(normalized);
            return new WhitelistStanding(standing.Permissions, standing.Whitelisted, standing.Manual, _whitelistVersion);
        }
    }

    /// <summary>Every whitelist entry, ordered by range then source.</summary>
    public IReadOnlyList<WhitelistEntry> ListWhitelist()
    {
        // The alert monitor asks every few seconds; the sorted list is kept until the whitelist changes. An array, so
        // no caller can change the kept list.
        lock (_gate)
            return _sortedWhitelist ??= [.. SortedWhitelistLocked()];
    }

    /// <summary>Number of discovery plus masternode entries (counted against the cap).</summary>
    public int AutomaticWhitelistCount
    {
        get
        {
            lock (_gate)
                return _discoveryEntryCount + _masternodeEntryCount;
        }
    }

    // ---------------------------------------------------------------- violations and bans

    /// <summary>
    /// Records a violation by <paramref name="address"/> and decides what the caller must do. The score adds the
    /// violation's weight (after resetting if the last violation is older than
    /// <see cref="PeerPolicyOptions.ViolationResetAfter"/>); reaching a threshold places an automatic ban. A no-ban
    /// peer is not counted: ordinary violations are ignored, severe ones disconnect it and are logged as Critical.
    /// </summary>
    public ViolationOutcome RecordViolation(IPAddress address, ViolationKind kind, string detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        var normalized = IpRange.Normalize(address);
        var severe = kind.IsSevere();
        var changes = new List<AuditRecord>();
        ViolationOutcome outcome;
        bool noBan;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PruneLocked(now);
            noBan = PermissionsLocked(normalized).HasFlag(PeerPermissions.NoBan);
            if (noBan)
            {
                outcome = severe
                    ? new ViolationOutcome(ViolationAction.Disconnect, 0, null, $"Severe violation {kind} by no-ban peer: {detail}")
                    : new ViolationOutcome(ViolationAction.Ignored, 0, null, $"Violation {kind} by no-ban peer tolerated: {detail}");
            }
            else
            {
                var weight = severe ? Options.SevereViolationWeight : Options.OrdinaryViolationWeight;
                var score = weight;
                if (_violations.TryGetValue(normalized, out var previous) && now - previous.LastViolationAt < Options.ViolationResetAfter)
                    score += previous.Score;
                _violations[normalized] = new ViolationCounter(normalized, score, now);

                TimeSpan? banFor = null;
                var permanent = score >= Options.PermanentBanThreshold;
                if (!permanent && score >= Options.LongBanThreshold)
                    banFor = Options.LongBanDuration;
                else if (!permanent && score >= Options.ShortBanThreshold)
                    banFor = Options.ShortBanDuration;

                var reason = $"{kind}: {detail} (violation score {score})";
                if (permanent || banFor is not null)
                {
                    DateTimeOffset? until = permanent ? null : now + banFor!.Value;
                    var ban = PlaceAutomaticBanLocked(IpRange.FromAddress(normalized), until, reason, now, changes);
                    outcome = new ViolationOutcome(ViolationAction.Banned, score, ban.Until, reason);
                }
                else
                {
                    outcome = new ViolationOutcome(severe ? ViolationAction.Disconnect : ViolationAction.Ignored, score, null, reason);
                }
            }
            AppendAuditLocked(changes);
        }

        if (severe && noBan)
        {
            _logger.LogCritical("Whitelisted no-ban peer {Ip} committed severe violation {Kind}: {Detail}; disconnecting",
                normalized, kind, detail);
        }
        else if (outcome.Action == ViolationAction.Banned)
        {
            _logger.LogWarning("Peer {Ip} banned until {Until} after {Kind}: {Detail} (score {Score})",
                normalized, outcome.BannedUntil?.ToString("O") ?? "forever", kind, detail, outcome.Score);
        }
        else
        {
            _logger.LogDebug("Peer {Ip} violation {Kind}: {Detail} -> {Action} (score {Score})",
                normalized, kind, detail, outcome.Action, outcome.Score);
        }
        Publish(changes);
        ViolationRecorded?.Invoke(this, new ViolationRecord(normalized, kind, detail, noBan, outcome, _time.GetUtcNow()));
        return outcome;
    }

    /// <summary>
    /// Bans <paramref name="range"/> for <paramref name="duration"/> (null = permanent). Each source keeps its own
    /// ban on a range: a config ban and an rpc or automatic ban on the same range coexist, and the range stays
    /// banned while any of them is in force. A new ban replaces the same source's ban on exactly that range; an rpc
    /// ban also replaces an automatic one there (the operator decides). An automatic ban is refused for a range a
    /// no-ban entry covers or a manual (config or rpc) ban is on. A ban that would end after
    /// <see cref="DateTimeOffset.MaxValue"/> ends then.
    /// </summary>
    /// <returns>False when the ban was refused.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is zero or negative.</exception>
    public bool Ban(IpRange range, TimeSpan? duration, string reason, BanSource source)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(reason);
        if (duration is { } d && d <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A timed ban needs a positive duration; pass null for a permanent ban.");
        var changes = new List<AuditRecord>();
        bool applied;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PruneLocked(now);
            DateTimeOffset? until = duration is { } length ? ExpiryAfter(now, length) : null;
            if (source == BanSource.Automatic)
            {
                applied = !_whitelist.Values.Any(e => e.Permissions.HasFlag(PeerPermissions.NoBan) && e.Range.Contains(range))
                    && !HasManualBanLocked(range);
                if (applied)
                    SetBanLocked(new BanEntry(range, source, reason, now, until), changes);
            }
            else
            {
                applied = true;
                if (source == BanSource.Rpc)
                    _bans.Remove((range, BanSource.Automatic));
                SetBanLocked(new BanEntry(range, source, reason, now, until), changes);
            }
            AppendAuditLocked(changes);
        }
        if (applied)
            _logger.LogInformation("Banned {Range} ({Source}) until {Until}: {Reason}", range, source, duration is null ? "forever" : ExpiryAfter(changes[0].At, duration.Value), reason);
        Publish(changes);
        return applied;
    }

    /// <summary>
    /// Removes the bans on exactly <paramref name="range"/> that <paramref name="source"/> may lift and forgets the
    /// violation scores of the addresses in it, so an unbanned peer starts again from zero. <see cref="BanSource.Config"/>
    /// lifts only the config ban; <see cref="BanSource.Rpc"/> and <see cref="BanSource.Automatic"/> lift the rpc and
    /// automatic bans and never a config ban (that one follows <c>blacklisted_peers</c>, see <see cref="ReplaceBans"/>),
    /// so the range may stay banned.
    /// </summary>
    /// <param name="range">The exact range of the ban.</param>
    /// <param name="source">Who lifts it (also the audit source).</param>
    /// <param name="reason">Why, for the audit trail.</param>
    /// <returns>False when there was no active ban on that range that <paramref name="source"/> may lift.</returns>
    public bool Unban(IpRange range, BanSource source = BanSource.Rpc, string reason = "unbanned")
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(reason);
        var changes = new List<AuditRecord>();
        bool removed;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PruneLocked(now);
            removed = false;
            foreach (var lifted in LiftableBy(source))
                removed |= _bans.Remove((range, lifted));
            if (removed)
                changes.Add(new AuditRecord(now, ToAuditSource(source), AuditAction.Unbanned, range, reason));
            // An unban forgives the range's scores, unless it was refused: a config ban it may not lift still stands.
            if (removed || !_bans.ContainsKey((range, BanSource.Config)))
                ForgetViolationsLocked(range);
            AppendAuditLocked(changes);
        }
        Publish(changes);
        return removed;
    }

    /// <summary>
    /// Makes the bans of <paramref name="source"/> exactly <paramref name="ranges"/> (a configuration load): bans of
    /// that source on ranges no longer listed are lifted, listed ranges are banned permanently. Bans of other
    /// sources are untouched, even on the same ranges (they coexist), so removing a line from
    /// <c>blacklisted_peers</c> lifts that line's config ban after a restart and nothing else.
    /// </summary>
    /// <returns>The ranges whose ban was lifted.</returns>
    public IReadOnlyList<IpRange> ReplaceBans(BanSource source, IEnumerable<IpRange> ranges, string reason)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(reason);
        var wanted = ranges.Select(r => r ?? throw new ArgumentException("A range is null.", nameof(ranges))).ToHashSet();
        var changes = new List<AuditRecord>();
        var lifted = new List<IpRange>();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PruneLocked(now);
            foreach (var stale in _bans.Values.Where(b => b.Source == source && !wanted.Contains(b.Range)).OrderBy(b => b.Range).ToList())
            {
                _bans.Remove((stale.Range, source));
                lifted.Add(stale.Range);
                changes.Add(new AuditRecord(now, ToAuditSource(source), AuditAction.Unbanned, stale.Range, $"{reason}: no longer listed"));
            }
            foreach (var range in wanted.Order())
            {
                if (_bans.TryGetValue((range, source), out var existing) && existing.Until is null)
                    continue;
                SetBanLocked(new BanEntry(range, source, reason, now, null), changes);
            }
            AppendAuditLocked(changes);
        }
        Publish(changes);
        return lifted;
    }

    /// <summary>True when a ban applies to <paramref name="address"/> now (see the precedence rules).</summary>
    public bool IsBanned(IPAddress address) => GetBan(address) is not null;

    /// <summary>
    /// The ban that applies to <paramref name="address"/> now, or null: among several, a permanent one, else the one
    /// that lasts longest.
    /// </summary>
    public BanEntry? GetBan(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        lock (_gate)
            return EffectiveBanLocked(normalized, _time.GetUtcNow());
    }

    /// <summary>
    /// Every ban active now, ordered by range then source: a range banned by several sources (config and rpc, say)
    /// is listed once per source.
    /// </summary>
    public IReadOnlyList<BanEntry> ListBans()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return SortedBansLocked(now);
        }
    }

    /// <summary>The current violation score of <paramref name="address"/> (0 after the reset period).</summary>
    public int GetViolationScore(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        lock (_gate)
        {
            return _violations.TryGetValue(normalized, out var counter)
                && _time.GetUtcNow() - counter.LastViolationAt < Options.ViolationResetAfter
                ? counter.Score
                : 0;
        }
    }

    // ---------------------------------------------------------------- rate limits

    /// <summary>Takes a token for (<paramref name="peerId"/>, <paramref name="kind"/>); false means the limit is exceeded.</summary>
    public bool TryConsume(string peerId, string kind) => RateLimiter.TryConsume(peerId, kind);

    /// <summary>
    /// Decides one message of <paramref name="kind"/> from <paramref name="peerId"/> at <paramref name="address"/>:
    /// a peer covered by a manual (config or rpc) whitelist entry is exempt (the operator vouches for it); any other
    /// peer, automatic entries included, takes a token, and its excess is dropped and scored at most once per
    /// <see cref="PeerPolicyOptions.RateLimitScoreWindow"/>.
    /// </summary>
    public RateLimitVerdict CheckRate(IPAddress address, string peerId, string kind)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IsManuallyWhitelisted(address))
            return RateLimitVerdict.Allowed;
        return RateLimiter.Check(peerId, address, kind, Options.RateLimitScoreWindow);
    }

    /// <summary>
    /// Decides one message as <see cref="CheckRate(IPAddress, string, string)"/> does, for a caller that already knows
    /// whether a manual (config or rpc) whitelist entry covers the peer (see
    /// <see cref="CheckRate(string, string, bool)"/>). A peer without buckets takes over those released at
    /// <paramref name="address"/> (<see cref="ReleasePeer"/>), so a redial does not start with full buckets.
    /// </summary>
    public RateLimitVerdict CheckRate(IPAddress address, string peerId, string kind, bool manuallyWhitelisted)
    {
        ArgumentNullException.ThrowIfNull(address);
        return manuallyWhitelisted ? RateLimitVerdict.Allowed : RateLimiter.Check(peerId, address, kind, Options.RateLimitScoreWindow);
    }

    /// <summary>
    /// Decides one message as <see cref="CheckRate(IPAddress, string, string)"/> does, for a caller that already knows
    /// whether a manual (config or rpc) whitelist entry covers the peer: <paramref name="manuallyWhitelisted"/> is what
    /// <see cref="IsManuallyWhitelisted"/> answered at the current <see cref="WhitelistVersion"/> (a connection keeps
    /// that answer until the version changes, instead of asking the policy for every message it reads).
    /// </summary>
    public RateLimitVerdict CheckRate(string peerId, string kind, bool manuallyWhitelisted) =>
        manuallyWhitelisted ? RateLimitVerdict.Allowed : RateLimiter.Check(peerId, kind, Options.RateLimitScoreWindow);

    /// <summary>True when a config or rpc whitelist entry contains <paramref name="address"/>.</summary>
    public bool IsManuallyWhitelisted(IPAddress address)
    {
        var normalized = IpRange.Normalize(address);
        // Runs for every message a peer sends (CheckRate): answered from the remembered standing, not a scan of
        // every whitelist entry.
        lock (_gate)
            return StandingLocked(normalized).Manual;
    }

    /// <summary>Forgets the rate-limit buckets of a closed connection at once (see <see cref="ReleasePeer"/> to keep them).</summary>
    public void RemovePeer(string peerId) => RateLimiter.RemovePeer(peerId);

    /// <summary>
    /// The last connection of <paramref name="peerId"/> (at <paramref name="address"/>) closed: its rate-limit buckets
    /// are kept under the address until they are full again, and the next peer from that address without buckets of
    /// its own (the same node redialing, or a new node id) takes them over, so closing and redialing refills nothing.
    /// Bounded: at most 4,096 released sets, the oldest dropped first.
    /// </summary>
    public void ReleasePeer(string peerId, IPAddress address) => RateLimiter.ReleasePeer(peerId, address, Options.RateLimitScoreWindow);

    // ---------------------------------------------------------------- admission

    /// <summary>
    /// Decides whether an inbound connection from <paramref name="remote"/> is admitted, given the live
    /// connections. Banned: reject. Not whitelisted and already <see cref="PeerPolicyOptions.MaxInboundPerIp"/>
    /// inbound connections from that IP: reject. Otherwise admit if a slot is free (peers without
    /// <see cref="PeerPermissions.ReservedSlot"/> may not use the reserved slots); when full, evict the youngest
    /// unprotected inbound peer (never whitelisted, never a masternode), or reject with
    /// <see cref="AdmissionRejectReason.Full"/> if there is none.
    /// </summary>
    public AdmissionDecision EvaluateInbound(IPAddress remote, IReadOnlyList<ConnectedPeer> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var address = IpRange.Normalize(remote);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (EffectiveBanLocked(address, now) is not null)
                return AdmissionDecision.Reject(AdmissionRejectReason.Banned);

            var inbound = current.Where(p => p.IsInbound).ToList();
            if (!IsWhitelistedLocked(address)
                && inbound.Count(p => IpRange.Normalize(p.Address).Equals(address)) >= Options.MaxInboundPerIp)
            {
                return AdmissionDecision.Reject(AdmissionRejectReason.PerIpLimit);
            }

            var usesReserved = PermissionsLocked(address).HasFlag(PeerPermissions.ReservedSlot);
            var total = inbound.Count;
            var unreserved = inbound.Count(p => !HasReservedSlotLocked(p));
            if (Fits(usesReserved, total, unreserved))
                return AdmissionDecision.Admit;

            var victim = inbound
                .Where(p => !IsProtectedLocked(p))
                .OrderByDescending(p => p.ConnectedAt)
                .ThenBy(p => p.PeerId, StringComparer.Ordinal)
                .FirstOrDefault();
            if (victim is not null && Fits(usesReserved, total - 1, unreserved - 1))
                return AdmissionDecision.AdmitEvicting(victim.PeerId);
            return AdmissionDecision.Reject(AdmissionRejectReason.Full);
        }
    }

    // ---------------------------------------------------------------- audit and snapshot

    /// <summary>The most recent audit records (up to <see cref="PeerPolicyOptions.AuditHistorySize"/>), oldest first.</summary>
    public IReadOnlyList<AuditRecord> RecentAudit()
    {
        lock (_gate)
            return _audit.ToList();
    }

    /// <summary>The whitelist, the active bans and the violation counters that have not reset.</summary>
    public PeerPolicySnapshot Snapshot()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var bans = SortedBansLocked(now);
            var violations = _violations.Values
                .Where(v => now - v.LastViolationAt < Options.ViolationResetAfter)
                .OrderBy(v => IpRange.FromAddress(v.Address))
                .ToList();
            return new PeerPolicySnapshot(now, SortedWhitelistLocked(), bans, violations);
        }
    }

    /// <summary>
    /// Replaces the whole state with <paramref name="snapshot"/> (bans that expired since are skipped). Restoring is
    /// not a change by any source, so it produces no audit records. The automatic-entry cap is not re-applied.
    /// </summary>
    /// <exception cref="ArgumentException">The snapshot grants no-ban to an automatic entry or holds a null item.</exception>
    public void Restore(PeerPolicySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var entry in snapshot.Whitelist)
        {
            if (entry is null)
                throw new ArgumentException("The snapshot holds a null whitelist entry.", nameof(snapshot));
            if (PeerPermissionNames.IsAutomatic(entry.Source) && entry.Permissions.HasFlag(PeerPermissions.NoBan))
                throw new ArgumentException($"The snapshot grants no-ban to the {entry.Source} entry {entry.Range}; only config and rpc entries may.", nameof(snapshot));
        }
        if (snapshot.Bans.Any(b => b is null) || snapshot.Violations.Any(v => v is null))
            throw new ArgumentException("The snapshot holds a null ban or violation counter.", nameof(snapshot));

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _whitelist.Clear();
            WhitelistChangedLocked();
            _bans.Clear();
            _violations.Clear();
            _discoveryEntryCount = 0;
            _masternodeEntryCount = 0;
            foreach (var entry in snapshot.Whitelist)
            {
                _whitelist[(entry.Range, entry.Source)] = entry;
                CountLocked(entry.Source, +1);
            }
            foreach (var ban in snapshot.Bans.Where(b => b.IsActiveAt(now)))
                _bans[(ban.Range, ban.Source)] = ban;
            foreach (var counter in snapshot.Violations)
            {
                var normalized = IpRange.Normalize(counter.Address);
                _violations[normalized] = counter with { Address = normalized };
            }
        }
    }

    // ---------------------------------------------------------------- internals (call with _gate held)

    private int CapOf(WhitelistSource source) =>
        source == WhitelistSource.Masternode ? Options.MaxMasternodeWhitelistEntries : Options.MaxAutomaticWhitelistEntries;

    private int CountOf(WhitelistSource source) =>
        source == WhitelistSource.Masternode ? _masternodeEntryCount : _discoveryEntryCount;

    private void CountLocked(WhitelistSource source, int delta)
    {
        if (source == WhitelistSource.Masternode)
            _masternodeEntryCount += delta;
        else if (source == WhitelistSource.Discovery)
            _discoveryEntryCount += delta;
    }

    private static PeerPermissions ResolvePermissions(WhitelistSource source, PeerPermissions? requested)
    {
        var granted = requested ?? PeerPermissionNames.DefaultFor(source);
        if (granted == PeerPermissions.None)
            throw new ArgumentException("A whitelist entry must grant at least one permission.", nameof(requested));
        if ((granted & ~PeerPermissions.All) != 0)
            throw new ArgumentException($"Unknown permission bits {(int)granted}.", nameof(requested));
        if (PeerPermissionNames.IsAutomatic(source) && granted.HasFlag(PeerPermissions.NoBan))
            throw new ArgumentException($"A {source} entry cannot grant no-ban: an entry an outsider can cause must not make a peer ban-proof.", nameof(requested));
        return granted;
    }

    private bool AddLocked(IpRange range, WhitelistSource source, PeerPermissions permissions, string reason, DateTimeOffset now, List<AuditRecord> changes)
    {
        var auditSource = ToAuditSource(source);
        if (_whitelist.TryGetValue((range, source), out var existing))
        {
            if (existing.Permissions == permissions && existing.Reason == reason)
                return true;
            _whitelist[(range, source)] = existing with { Permissions = permissions, Reason = reason };
            WhitelistChangedLocked();
            changes.Add(new AuditRecord(now, auditSource, AuditAction.WhitelistUpdated, range, $"{reason} [{PeerPermissionNames.Format(permissions)}]"));
            return true;
        }
        if (PeerPermissionNames.IsAutomatic(source))
        {
            // Each automatic source has its own cap, and a full cap refuses newcomers: it never pushes out an entry
            // already there (a proved, connected masternode keeps its entry whoever announces more).
            if (CountOf(source) >= CapOf(source))
            {
                changes.Add(new AuditRecord(now, auditSource, AuditAction.WhitelistDropped, range,
                    $"{reason} (cap of {CapOf(source)} {source.ToString().ToLowerInvariant()} entries reached)"));
                return false;
            }
            CountLocked(source, +1);
        }
        _whitelist[(range, source)] = new WhitelistEntry(range, source, permissions, reason, now);
        WhitelistChangedLocked();
        changes.Add(new AuditRecord(now, auditSource, AuditAction.WhitelistAdded, range, $"{reason} [{PeerPermissionNames.Format(permissions)}]"));
        return true;
    }

    private bool RemoveLocked(IpRange range, WhitelistSource source, string reason, DateTimeOffset now, List<AuditRecord> changes)
    {
        if (!_whitelist.Remove((range, source)))
            return false;
        WhitelistChangedLocked();
        CountLocked(source, -1);
        changes.Add(new AuditRecord(now, ToAuditSource(source), AuditAction.WhitelistRemoved, range, reason));
        return true;
    }

    private void LiftAutomaticBansLocked(IpRange range, WhitelistSource source, PeerPermissions permissions, DateTimeOffset now, List<AuditRecord> changes)
    {
        if (!permissions.HasFlag(PeerPermissions.NoBan))
            return;
        foreach (var ban in _bans.Values.Where(b => !b.IsManual && range.Contains(b.Range)).ToList())
        {
            _bans.Remove((ban.Range, ban.Source));
            changes.Add(new AuditRecord(now, ToAuditSource(source), AuditAction.BanLifted, ban.Range,
                $"no-ban whitelist entry {range} lifts the automatic ban ({ban.Reason})"));
        }
        ForgetViolationsLocked(range);
    }

    private BanEntry PlaceAutomaticBanLocked(IpRange range, DateTimeOffset? until, string reason, DateTimeOffset now, List<AuditRecord> changes)
    {
        var manual = _bans.Values.Where(b => b.IsManual && b.Range == range && b.IsActiveAt(now))
            .Aggregate((BanEntry?)null, (best, b) => best is null || Outlasts(b, best) ? b : best);
        if (manual is not null)
            return manual;
        if (_bans.TryGetValue((range, BanSource.Automatic), out var existing) && existing.IsActiveAt(now)
            && (existing.Until is null || (until is not null && existing.Until >= until)))
        {
            return existing;
        }
        var ban = new BanEntry(range, BanSource.Automatic, reason, now, until);
        SetBanLocked(ban, changes);
        return ban;
    }

    private void SetBanLocked(BanEntry ban, List<AuditRecord> changes)
    {
        _bans[(ban.Range, ban.Source)] = ban;
        var length = ban.Until is { } until ? $"until {until:O}" : "permanently";
        changes.Add(new AuditRecord(ban.CreatedAt, ToAuditSource(ban.Source), AuditAction.Banned, ban.Range, $"{ban.Reason} ({length})"));
    }

    private BanEntry? EffectiveBanLocked(IPAddress address, DateTimeOffset now)
    {
        BanEntry? best = null;
        bool? noBan = null;
        foreach (var ban in _bans.Values)
        {
            if (!ban.IsActiveAt(now) || !ban.Range.Contains(address))
                continue;
            if (!ban.IsManual && (noBan ??= PermissionsLocked(address).HasFlag(PeerPermissions.NoBan)))
                continue;
            if (best is null || Outlasts(ban, best))
                best = ban;
        }
        return best;
    }

    private bool HasManualBanLocked(IpRange range) =>
        _bans.ContainsKey((range, BanSource.Config)) || _bans.ContainsKey((range, BanSource.Rpc));

    private static BanSource[] LiftableBy(BanSource source) =>
        source == BanSource.Config ? [BanSource.Config] : [BanSource.Rpc, BanSource.Automatic];

    private static DateTimeOffset ExpiryAfter(DateTimeOffset now, TimeSpan length) =>
        length >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + length;

    private List<BanEntry> SortedBansLocked(DateTimeOffset now) =>
        _bans.Values.Where(b => b.IsActiveAt(now)).OrderBy(b => b.Range).ThenBy(b => b.Source).ToList();

    private static bool Outlasts(BanEntry candidate, BanEntry current)
    {
        if (candidate.Until is null || current.Until is null)
            return current.Until is not null || (candidate.IsManual && !current.IsManual);
        return candidate.Until > current.Until;
    }

    private PeerPermissions PermissionsLocked(IPAddress address) => StandingLocked(address).Permissions;

    private bool IsWhitelistedLocked(IPAddress address) => StandingLocked(address).Whitelisted;

    /// <summary>
    /// What the whitelist says of <paramref name="address"/>: the union of the permissions of the entries containing
    /// it, whether any does, and whether a manual (config or rpc) one does. Computed by a scan of every entry and
    /// remembered until the whitelist changes (<see cref="WhitelistChangedLocked"/>): the liveness driver, the rate
    /// check of every message and the dial round ask for the same few addresses all the time, and a masternode's
    /// whitelist holds an entry per masternode. At most <see cref="MaxRememberedStandings"/> addresses are remembered
    /// (then the memory starts again), so peers at ever new addresses cannot grow it.
    /// </summary>
    private AddressStanding StandingLocked(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        var normalized = IpRange.Normalize(address);
        normalized.TryWriteBytes(bytes, out int written);
        bool isV4 = written == 4;
        uint v4 = isV4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
        UInt128 v6 = isV4 ? 0 : System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if (isV4 ? _standingsV4.TryGetValue(v4, out var standing) : _standingsV6.TryGetValue(v6, out standing))
            return standing;
        var permissions = PeerPermissions.None;
        bool whitelisted = false;
        bool manual = false;
        foreach (var entry in _whitelist.Values)
        {
            if (!entry.Range.Contains(normalized))
                continue;
            permissions |= entry.Permissions;
            whitelisted = true;
            manual |= !PeerPermissionNames.IsAutomatic(entry.Source);
        }
        standing = new AddressStanding(permissions, whitelisted, manual);
        if (_standingsV4.Count + _standingsV6.Count >= MaxRememberedStandings)
        {
            _standingsV4.Clear();
            _standingsV6.Clear();
        }
        if (isV4)
            _standingsV4[v4] = standing;
        else
            _standingsV6[v6] = standing;
        return standing;
    }

    /// <summary>Forgets every remembered standing. Call under <see cref="_gate"/> after any change of the whitelist.</summary>
    private void WhitelistChangedLocked()
    {
        _standingsV4.Clear();
        _standingsV6.Clear();
        _sortedWhitelist = null;
        Interlocked.Increment(ref _whitelistVersion);
    }

    private const int MaxRememberedStandings = 4096;

    private readonly record struct AddressStanding(PeerPermissions Permissions, bool Whitelisted, bool Manual);

    private bool HasReservedSlotLocked(ConnectedPeer peer) =>
        peer.Permissions.HasFlag(PeerPermissions.ReservedSlot)
        || PermissionsLocked(IpRange.Normalize(peer.Address)).HasFlag(PeerPermissions.ReservedSlot);

    private bool IsProtectedLocked(ConnectedPeer peer) =>
        peer.IsMasternode || peer.Permissions != PeerPermissions.None || IsWhitelistedLocked(IpRange.Normalize(peer.Address));

    private bool Fits(bool usesReserved, int total, int unreserved) =>
        total < Options.MaxInbound && (usesReserved || unreserved < Options.MaxInbound - Options.ReservedInboundSlots);

    private void ForgetViolationsLocked(IpRange range)
    {
        foreach (var address in _violations.Keys.Where(range.Contains).ToList())
            _violations.Remove(address);
    }

    private void PruneLocked(DateTimeOffset now)
    {
        foreach (var expired in _bans.Values.Where(b => !b.IsActiveAt(now)).ToList())
            _bans.Remove((expired.Range, expired.Source));
        foreach (var quiet in _violations.Values.Where(v => now - v.LastViolationAt >= Options.ViolationResetAfter).Select(v => v.Address).ToList())
            _violations.Remove(quiet);
    }

    private List<WhitelistEntry> SortedWhitelistLocked() =>
        _whitelist.Values.OrderBy(e => e.Range).ThenBy(e => e.Source).ToList();

    private void AppendAuditLocked(List<AuditRecord> changes)
    {
        foreach (var record in changes)
        {
            _audit.Enqueue(record);
            while (_audit.Count > Options.AuditHistorySize)
                _audit.Dequeue();
        }
    }

    private void Publish(List<AuditRecord> changes)
    {
        var handler = AuditRecorded;
        if (handler is null)
            return;
        foreach (var record in changes)
        {
            try
            {
                handler(this, record);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "An AuditRecorded handler failed for {Action} {Range}", record.Action, record.Range);
            }
        }
    }

    private static AuditSource ToAuditSource(WhitelistSource source) => source switch
    {
        WhitelistSource.Config => AuditSource.Config,
        WhitelistSource.Discovery => AuditSource.Discovery,
        WhitelistSource.Masternode => AuditSource.Masternode,
        _ => AuditSource.Rpc,
    };

    private static AuditSource ToAuditSource(BanSource source) => source switch
    {
        BanSource.Config => AuditSource.Config,
        BanSource.Rpc => AuditSource.Rpc,
        _ => AuditSource.Automatic,
    };
}
