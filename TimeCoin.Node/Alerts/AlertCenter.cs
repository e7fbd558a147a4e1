using Microsoft.Extensions.Logging;

namespace TimeCoin.Node.Alerts;

/// <summary>
/// The one owner of the node's alerts. Detectors (the <see cref="NodeAlertMonitor"/>, the sync coordinator's lag
/// detection, store writers) raise and clear alerts here; RPC (<c>get_network_info</c>), logs and metrics read them
/// from here. An alert is identified by its code and subject: raising an active alert again only updates its message
/// (its <see cref="NodeAlert.Since"/> stays), so each alert is logged exactly once when it starts and once when it clears.
/// Every raise and clear is also kept in a bounded history (<see cref="GetHistory"/>, RPC <c>get_alerts</c>), so an
/// alert that came and went between two looks (a short catch-up) is still visible from outside. Thread-safe.
/// </summary>
public sealed class AlertCenter
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<(string Code, string Subject), NodeAlert> _active = new();
    private readonly Dictionary<string, long> _raisedTotals = new(StringComparer.Ordinal);
    private readonly Queue<AlertChange> _history = new();
    private readonly int _historyCapacity;

    /// <summary>How many raises and clears the history keeps by default (the oldest are dropped first).</summary>
    public const int DefaultHistoryCapacity = 256;

    /// <summary>Creates an empty alert center.</summary>
    /// <param name="time">Clock for <see cref="NodeAlert.Since"/>.</param>
    /// <param name="logger">Where raises and clears are logged (at the alert's level, and Information for a clear).</param>
    /// <param name="historyCapacity">How many raises and clears <see cref="GetHistory"/> keeps (at least 1).</param>
    public AlertCenter(TimeProvider time, ILogger<AlertCenter> logger, int historyCapacity = DefaultHistoryCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(historyCapacity, 1);
        _time = time;
        _logger = logger;
        _historyCapacity = historyCapacity;
    }

    /// <summary>An alert was raised or cleared. Raised on the caller's thread, outside the center's lock.</summary>
    public event Action<AlertChange>? Changed;

    /// <summary>Raises the alert <paramref name="code"/> about <paramref name="subject"/>, or updates its message if active.</summary>
    /// <returns>True when the alert was not active before (it was raised and logged now).</returns>
    public bool Raise(string code, string message, string? subject = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        var key = (code, subject ?? "");
        NodeAlert alert;
        AlertChange change;
        lock (_gate)
        {
            if (_active.TryGetValue(key, out var existing))
            {
                _active[key] = existing with { Message = message };
                return false;
            }
            alert = new NodeAlert(code, AlertCodes.LevelOf(code), message, _time.GetUtcNow(), subject);
            _active[key] = alert;
            _raisedTotals[code] = _raisedTotals.GetValueOrDefault(code) + 1;
            change = Remember(new AlertChange(alert, true, alert.Since, null));
        }
        _logger.Log(ToLogLevel(alert.Level), "Alert raised: {AlertCode} ({AlertLevel}){AlertSubject}: {AlertMessage}",
            alert.Code, alert.Level.ToString().ToLowerInvariant(), subject is null ? "" : " " + subject, alert.Message);
        Changed?.Invoke(change);
        return true;
    }

    /// <summary>Clears the alert <paramref name="code"/> about <paramref name="subject"/>.</summary>
    /// <returns>True when it was active (it was cleared and logged now).</returns>
    public bool Clear(string code, string? subject = null, string resolution = "condition cleared")
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        NodeAlert? alert;
        AlertChange change;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_active.Remove((code, subject ?? ""), out alert))
                return false;
            change = Remember(new AlertChange(alert, false, now, resolution));
        }
        _logger.LogInformation("Alert cleared: {AlertCode}{AlertSubject} after {AlertDuration}: {AlertResolution}",
            alert.Code, subject is null ? "" : " " + subject, FormatDuration(now - alert.Since), resolution);
        Changed?.Invoke(change);
        return true;
    }

    /// <summary>
    /// Makes the active alerts of <paramref name="code"/> exactly <paramref name="wanted"/> (subject to message):
    /// raises the new ones, updates the messages of those that stay, clears the rest with <paramref name="resolution"/>.
    /// </summary>
    public void Reconcile(string code, IReadOnlyDictionary<string, string> wanted, Func<string, string> resolution)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(resolution);
        List<string>? stale = null;
        lock (_gate)
        {
            // The monitor reconciles every few seconds, nearly always with nothing active and nothing wanted: no list then.
            foreach (var key in _active.Keys)
            {
                if (key.Code == code && !wanted.ContainsKey(key.Subject))
                    (stale ??= []).Add(key.Subject);
            }
        }
        if (stale is not null)
        {
            foreach (var subject in stale)
                Clear(code, subject, resolution(subject));
        }
        foreach (var (subject, message) in wanted)
            Raise(code, message, subject);
    }

    /// <summary>True when <paramref name="code"/> is active for <paramref name="subject"/> (any subject when null).</summary>
    public bool IsActive(string code, string? subject = null)
    {
        lock (_gate)
        {
            if (subject is not null)
                return _active.ContainsKey((code, subject));
            foreach (var key in _active.Keys)
            {
                if (key.Code == code)
                    return true;
            }
            return false;
        }
    }

    /// <summary>The active alerts, most urgent first, then oldest first.</summary>
    public IReadOnlyList<NodeAlert> GetActive()
    {
        lock (_gate)
            return _active.Values.OrderByDescending(a => a.Level).ThenBy(a => a.Since).ThenBy(a => a.Code, StringComparer.Ordinal)
                .ThenBy(a => a.Subject, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The most recent raises and clears, newest first: at most <paramref name="limit"/> of them (all that are kept when
    /// null; the center keeps the last <c>historyCapacity</c>). A cleared entry carries the alert as it was when it cleared.
    /// </summary>
    public IReadOnlyList<AlertChange> GetHistory(int? limit = null)
    {
        if (limit is { } rows)
            ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1, nameof(limit));
        lock (_gate)
            return _history.Reverse().Take(limit ?? int.MaxValue).ToArray();
    }

    /// <summary>How many times <paramref name="code"/> was raised since start.</summary>
    public long RaisedTotal(string code)
    {
        lock (_gate)
            return _raisedTotals.GetValueOrDefault(code);
    }

    private AlertChange Remember(AlertChange change)
    {
        _history.Enqueue(change);
        while (_history.Count > _historyCapacity)
            _history.Dequeue();
        return change;
    }

    private static LogLevel ToLogLevel(AlertLevel level) => level switch
    {
        AlertLevel.Critical => LogLevel.Critical,
        AlertLevel.Error => LogLevel.Error,
        _ => LogLevel.Warning,
    };

    private static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds < 120 ? $"{duration.TotalSeconds:0} s" : duration.TotalMinutes < 120 ? $"{duration.TotalMinutes:0} min" : $"{duration.TotalHours:0.0} h";
}
