using System.Globalization;

namespace TimeCoin.Core.Liveness;

/// <summary>
/// The ping/pong liveness state of one connection. It does no I/O and keeps no timer: the connection loop asks
/// <see cref="IsPingDue"/>, sends the nonce from <see cref="StartPing"/>, reports pongs with <see cref="OnPong"/>
/// and data deliveries with <see cref="OnRequestedDataReceived"/>. The driver calls <see cref="Poll"/> (check, then
/// start a ping when one is due) and wakes again at the deadline it returns (<see cref="GetNextDeadline"/>), or at
/// once when it is told the peer's class changed.
/// </summary>
/// <remarks>
/// <para>The peer's class (lenient or not) is an argument of every call rather than a field, so whitelisting or
/// un-whitelisting a connected peer applies at the next ping and check.</para>
/// <para>Safe to call from several threads (the read loop reports pongs while the timer loop checks).</para>
/// </remarks>
public sealed class PingState
{
    private const int MaxNonceAttempts = 16;

    private readonly Lock _gate = new();
    private readonly PingOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<ulong> _nonceSource;
    private readonly Dictionary<ulong, PendingPing> _pings = new();
    private readonly TimeSpan _retention;

    private DateTimeOffset? _lastPingSentAt;
    private DateTimeOffset? _lastPongAt;
    private DateTimeOffset? _lastRequestedDataAt;
    private int _missedPongs;
    private long _totalMissedPongs;
    private long _unknownPongs;
    private long _latePongs;
    private TimeSpan? _lastRtt;
    private TimeSpan? _minRtt;
    private long _rttTicksSum;
    private long _rttCount;
    // The figures as last returned by GetStatistics, until one of them changes (null then): they change at a ping, a
    // pong, a missed pong or a delivery, and are read every few seconds (metrics sample each connection every 5 s).
    private PingStatistics? _statistics;

    /// <summary>Creates the state for one new connection.</summary>
    /// <param name="options">Timeouts and limits.</param>
    /// <param name="time">The clock.</param>
    /// <param name="nonceSource">Source of ping nonces (random in production, a counter in tests).</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public PingState(PingOptions options, TimeProvider time, Func<ulong> nonceSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(nonceSource);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid ping options: " + string.Join(" ", errors), nameof(options));
        _options = options;
        _time = time;
        _nonceSource = nonceSource;
        // A ping counted as missed is remembered this long so a late pong is recognised as late, not unknown.
        var longest = options.PongTimeout > options.LenientPongTimeout ? options.PongTimeout : options.LenientPongTimeout;
        _retention = longest * 2;
    }

    /// <summary>Consecutive pings counted as missed since the last pong answered in time.</summary>
    public int MissedPongs { get { lock (_gate) return _missedPongs; } }

    /// <summary>Round-trip time of the last answered ping, or null before the first pong.</summary>
    public TimeSpan? LastRtt { get { lock (_gate) return _lastRtt; } }

    /// <summary>Smallest round-trip time seen, or null before the first pong.</summary>
    public TimeSpan? MinRtt { get { lock (_gate) return _minRtt; } }

    /// <summary>Mean round-trip time over every answered ping, or null before the first pong.</summary>
    public TimeSpan? AverageRtt { get { lock (_gate) return AverageRttUnlocked(); } }

    /// <summary>Pings sent and neither answered nor yet counted as missed.</summary>
    public int PendingPings { get { lock (_gate) return CountPendingUnlocked(); } }

    /// <summary>Pongs whose nonce matched no ping we remember.</summary>
    public long UnknownPongs { get { lock (_gate) return _unknownPongs; } }

    /// <summary>When the last matching (in-time or late) pong arrived, or null.</summary>
    public DateTimeOffset? LastPongAt { get { lock (_gate) return _lastPongAt; } }

    /// <summary>
    /// All figures at one instant, for RPC and metrics. While none of them changes, every call returns the same
    /// (immutable) instance: a connection sampled every few seconds between pings costs no new one per sample.
    /// </summary>
    public PingStatistics GetStatistics()
    {
        lock (_gate)
        {
            return _statistics ??= new PingStatistics(
                _missedPongs, _totalMissedPongs, CountPendingUnlocked(), _unknownPongs, _latePongs,
                _lastRtt, _minRtt, AverageRttUnlocked(), _lastPongAt, _lastPingSentAt, _lastRequestedDataAt);
        }
    }

    /// <summary>
    /// True when a ping should be sent now: none was sent yet, or the interval for this class of peer
    /// (<see cref="PingOptions.PingInterval"/>, or <see cref="PingOptions.KeepAliveInterval"/> when lenient) has
    /// passed since the last one. Outstanding pings do not hold the next one back.
    /// </summary>
    public bool IsPingDue(bool lenient)
    {
        lock (_gate)
        {
            return _lastPingSentAt is not { } last || _time.GetUtcNow() - last >= _options.PingIntervalFor(lenient);
        }
    }

    /// <summary>Records a ping as sent now and returns the nonce to put in it.</summary>
    /// <exception cref="InvalidOperationException">The nonce source keeps returning nonces already in use.</exception>
    public ulong StartPing()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            ForgetOldUnlocked(now);
            for (int attempt = 0; attempt < MaxNonceAttempts; attempt++)
            {
                ulong nonce = _nonceSource();
                if (_pings.ContainsKey(nonce))
                    continue;
                _pings.Add(nonce, new PendingPing(now));
                _lastPingSentAt = now;
                _statistics = null;
                return nonce;
            }
            throw new InvalidOperationException(
                $"The nonce source returned {MaxNonceAttempts} nonces in a row that are already in use by outstanding pings.");
        }
    }

    /// <summary>
    /// Reports a pong. A pong for an outstanding ping completes it, records its round trip and resets the missed
    /// count; a pong for a ping already counted as missed records its round trip only; any other nonce only
    /// increments <see cref="UnknownPongs"/>.
    /// </summary>
    public PongResult OnPong(ulong nonce)
    {
        lock (_gate)
        {
            _statistics = null;
            var now = _time.GetUtcNow();
            // A missed ping older than the retention is unknown whether or not a poll has forgotten it yet: the driver
            // polls only at its deadlines, so the table may still hold it for up to a ping interval.
            if (!_pings.Remove(nonce, out var ping) || (ping.CountedMissed && now - ping.SentAt > _retention))
            {
                _unknownPongs++;
                return PongResult.Unknown;
            }
            RecordRttUnlocked(now - ping.SentAt);
            _lastPongAt = now;
            if (ping.CountedMissed)
            {
                _latePongs++;
                return PongResult.Late;
            }
            _missedPongs = 0;
            return PongResult.Matched;
        }
    }

    /// <summary>
    /// Reports that the peer delivered data we asked for (blocks, headers). Within the pong timeout of such a
    /// delivery the peer is not disconnected for missed pongs: it is busy serving us.
    /// </summary>
    public void OnRequestedDataReceived()
    {
        lock (_gate)
        {
            _lastRequestedDataAt = _time.GetUtcNow();
            _statistics = null;
        }
    }

    /// <summary>
    /// Applies the clock: each outstanding ping older than the pong timeout counts as missed (once), and if the
    /// missed count has reached the limit the decision is to disconnect — unless the peer delivered requested data
    /// within the pong timeout. The limits used are those of <paramref name="lenient"/>, read at every call.
    /// </summary>
    /// <param name="lenient">True when the peer's whitelist entry currently grants lenient liveness.</param>
    public LivenessDecision Check(bool lenient)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var timeout = _options.PongTimeoutFor(lenient);
            int limit = _options.MaxMissedPongsFor(lenient);

            foreach (var ping in _pings.Values)
            {
                if (!ping.CountedMissed && now - ping.SentAt > timeout)
                {
                    ping.CountedMissed = true;
                    _missedPongs++;
                    _totalMissedPongs++;
                    _statistics = null;
                }
            }
            ForgetOldUnlocked(now);

            if (_missedPongs < limit)
                return new LivenessDecision(LivenessAction.Keep, KeepReason(_missedPongs, limit), _missedPongs, lenient);

            string limitText = Format($"missed {_missedPongs} pongs (limit {limit}, timeout {timeout.TotalSeconds:0.###} s{(lenient ? ", lenient" : "")})");
            if (_lastRequestedDataAt is { } delivered && now - delivered <= timeout)
            {
                return new LivenessDecision(
                    LivenessAction.Keep,
                    Format($"{limitText}, kept: delivered requested data {(now - delivered).TotalSeconds:0.###} s ago"),
                    _missedPongs, lenient);
            }
            return new LivenessDecision(LivenessAction.Disconnect, limitText, _missedPongs, lenient);
        }
    }

    /// <summary>
    /// The next instant at which this state needs the driver, for the given class of peer: the next ping due, the
    /// moment an outstanding ping's pong timeout runs out (just after it: a pong exactly at the timeout is in time),
    /// or, for a peer at the missed-pong limit that is kept because it delivered requested data, the moment that
    /// protection lapses. A driver that wakes at this deadline (rather than on a fixed tick) sends pings at their exact
    /// interval and cuts a silent peer at the exact end of its window.
    /// </summary>
    /// <param name="lenient">True when the peer's whitelist entry currently grants lenient liveness.</param>
    public DateTimeOffset GetNextDeadline(bool lenient)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var timeout = _options.PongTimeoutFor(lenient);
            var next = _lastPingSentAt is { } last ? last + _options.PingIntervalFor(lenient) : now;
            foreach (var ping in _pings.Values)
            {
                if (!ping.CountedMissed)
                {
                    var expires = ping.SentAt + timeout + JustAfter;
                    if (expires < next)
                        next = expires;
                }
            }
            if (_missedPongs >= _options.MaxMissedPongsFor(lenient) && _lastRequestedDataAt is { } delivered)
            {
                var lapses = delivered + timeout + JustAfter;
                if (lapses < next)
                    next = lapses;
            }
            return next < now ? now : next;
        }
    }

    /// <summary>
    /// One step of the driver: applies the clock (<see cref="Check"/>); unless the decision is to disconnect, starts a
    /// ping when one is due; and says when to call again. The driver sends the ping with the returned nonce and
    /// carries out the decision.
    /// </summary>
    /// <param name="lenient">True when the peer's whitelist entry currently grants lenient liveness.</param>
    public LivenessStep Poll(bool lenient)
    {
        var decision = Check(lenient);
        if (decision.ShouldDisconnect)
            return new LivenessStep(decision, null, _time.GetUtcNow());
        ulong? nonce = IsPingDue(lenient) ? StartPing() : null;
        return new LivenessStep(decision, nonce, GetNextDeadline(lenient));
    }

    private static readonly TimeSpan JustAfter = TimeSpan.FromTicks(1);

    // The reasons of the common keep decisions, made once: every poll of every connection returns one, and formatting
    // it each time was most of a poll's allocations. Read-only after the type is initialised.
    private const int KeepReasonsCached = 8;
    private static readonly string[] KeepReasons = BuildKeepReasons();

    private static string[] BuildKeepReasons()
    {
        var reasons = new string[KeepReasonsCached * KeepReasonsCached];
        for (int limit = 0; limit < KeepReasonsCached; limit++)
        {
            for (int missed = 0; missed < KeepReasonsCached; missed++)
                reasons[limit * KeepReasonsCached + missed] = FormatKeepReason(missed, limit);
        }
        return reasons;
    }

    private static string KeepReason(int missed, int limit) =>
        (uint)missed < KeepReasonsCached && (uint)limit < KeepReasonsCached
            ? KeepReasons[limit * KeepReasonsCached + missed]
            : FormatKeepReason(missed, limit);

    private static string FormatKeepReason(int missed, int limit) => Format($"ok (missed {missed} of {limit} pongs)");

    private void ForgetOldUnlocked(DateTimeOffset now)
    {
        List<ulong>? expired = null;
        foreach (var (nonce, ping) in _pings)
        {
            if (ping.CountedMissed && now - ping.SentAt > _retention)
                (expired ??= new()).Add(nonce);
        }
        if (expired is null)
            return;
        foreach (var nonce in expired)
            _pings.Remove(nonce);
    }

    private int CountPendingUnlocked()
    {
        int count = 0;
        foreach (var ping in _pings.Values)
        {
            if (!ping.CountedMissed)
                count++;
        }
        return count;
    }

    private void RecordRttUnlocked(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
            rtt = TimeSpan.Zero;
        _lastRtt = rtt;
        if (_minRtt is not { } min || rtt < min)
            _minRtt = rtt;
        _rttTicksSum += rtt.Ticks;
        _rttCount++;
    }

    private TimeSpan? AverageRttUnlocked() => _rttCount == 0 ? null : TimeSpan.FromTicks(_rttTicksSum / _rttCount);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class PendingPing(DateTimeOffset sentAt)
    {
        public DateTimeOffset SentAt { get; } = sentAt;

        public bool CountedMissed { get; set; }
    }
}
