using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Policy;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Services;

/// <summary>
/// Keeps the peer policy (whitelist, bans, violation scores) in the node database: <see cref="Start"/> restores the
/// saved snapshot, then every change the policy reports (<see cref="PeerPolicy.AuditRecorded"/>) appends an audit
/// row and saves a fresh snapshot. Changes are rare (operator commands, discovery refreshes, bans), so saving on
/// each one is simpler than a debounce and loses nothing on a crash. Violation scores below a ban threshold change
/// without an audit record and can come in floods (a misbehaving peer, many peers), so a score change is saved
/// <see cref="ViolationSaveDelay"/> later, together with every other change in that time; a crash loses at most that
/// much of the scores. <see cref="Dispose"/> (the node's stop) saves once more.
/// </summary>
/// <remarks>
/// A saved document that cannot be read (corrupt, or from an incompatible version) is logged as an error and the
/// node starts with an empty policy, as Bitcoin Core does with an unreadable <c>banlist.json</c>; the configuration
/// whitelist is re-applied at start anyway. Saving is serialized so the last save always holds the latest state.
/// </remarks>
public sealed class PolicyPersistence : IDisposable
{
    /// <summary>The name of the policy document in <see cref="NodeDatabase"/>.</summary>
    public const string DocumentName = "peer_policy";

    private readonly PeerPolicy _policy;
    private readonly NodeDatabase _db;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _saveLock = new();
    private bool _started;
    private ITimer? _violationSave;
    private bool _violationSavePending;

    /// <summary>How long after a violation score change the policy is saved (changes meanwhile are saved with it).</summary>
    public static readonly TimeSpan ViolationSaveDelay = TimeSpan.FromSeconds(10);

    /// <summary>A change was saved (null) or saving it failed (the exception); the node's alerts listen.</summary>
    public event Action<Exception?>? SaveCompleted;

    /// <summary>Creates the persistence for <paramref name="policy"/> in <paramref name="db"/>; call <see cref="Start"/>.</summary>
    public PolicyPersistence(PeerPolicy policy, NodeDatabase db, TimeProvider time, ILogger<PolicyPersistence>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(time);
        _policy = policy;
        _db = db;
        _time = time;
        _logger = logger ?? NullLogger<PolicyPersistence>.Instance;
    }

    /// <summary>
    /// Restores the saved snapshot into the policy (when there is a readable one) and starts saving changes.
    /// Returns true when a snapshot was restored.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public bool Start()
    {
        if (_started)
            throw new InvalidOperationException("Policy persistence is already started.");
        _started = true;
        bool restored = TryRestore();
        _violationSave = _time.CreateTimer(_ => SavePendingViolations(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _policy.AuditRecorded += OnAuditRecorded;
        _policy.ViolationRecorded += OnViolationRecorded;
        return restored;
    }

    /// <summary>Saves the policy's current state now (also done after every change).</summary>
    public void Save()
    {
        lock (_saveLock)
            _db.SaveDocument(DocumentName, SnapshotJson(), _time.GetUtcNow());
    }

    private string SnapshotJson() => JsonSerializer.Serialize(_policy.Snapshot(), NodeStateJsonContext.Default.PeerPolicySnapshot);

    /// <summary>
    /// Stops saving changes, after a last save (violation scores not saved yet, or that changed without an event).
    /// A failure of that save is logged and reported through <see cref="SaveCompleted"/>, not thrown.
    /// </summary>
    public void Dispose()
    {
        if (!_started)
            return;
        _started = false;
        _policy.AuditRecorded -= OnAuditRecorded;
        _policy.ViolationRecorded -= OnViolationRecorded;
        lock (_saveLock)
        {
            _violationSave?.Dispose();
            _violationSave = null;
            _violationSavePending = false;
        }
        SaveLogged("the peer policy at stop");
    }

    /// <summary>
    /// Runs the document's serializer once, both ways, on a snapshot with one entry of each kind, so that its first
    /// real use finds its code compiled. That use comes at start-up, before the node dials (the config whitelist is
    /// applied and saved), and compiling the serializer then cost ~40 ms of CPU on the critical path; <see
    /// cref="Hosting.TimeNode"/> runs this on the thread pool while it opens the store, on another core.
    /// </summary>
    internal static void WarmUpSerializer()
    {
        var range = IpRange.Parse("127.0.0.1");
        var snapshot = new PeerPolicySnapshot(DateTimeOffset.UnixEpoch,
            [new WhitelistEntry(range, WhitelistSource.Config, PeerPermissions.None, "warm-up", DateTimeOffset.UnixEpoch)],
            [new BanEntry(range, BanSource.Config, "warm-up", DateTimeOffset.UnixEpoch, null)],
            [new ViolationCounter(System.Net.IPAddress.Loopback, 0, DateTimeOffset.UnixEpoch)]);
        var json = JsonSerializer.Serialize(snapshot, NodeStateJsonContext.Default.PeerPolicySnapshot);
        _ = JsonSerializer.Deserialize(json, NodeStateJsonContext.Default.PeerPolicySnapshot);
    }

    /// <summary>The audit row stored for a policy audit record: lowercase source, kebab-case action.</summary>
    public static AuditRow ToAuditRow(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new AuditRow(record.At, record.Source.ToString().ToLowerInvariant(), ActionName(record.Action), record.Range.ToString(), record.Reason);
    }

    private static string ActionName(AuditAction action) => action switch
    {
        AuditAction.WhitelistAdded => "whitelist-add",
        AuditAction.WhitelistUpdated => "whitelist-update",
        AuditAction.WhitelistRemoved => "whitelist-remove",
        AuditAction.WhitelistDropped => "whitelist-drop",
        AuditAction.Banned => "ban",
        AuditAction.Unbanned => "unban",
        AuditAction.BanLifted => "ban-lifted",
        _ => action.ToString().ToLowerInvariant(),
    };

    private bool TryRestore()
    {
        var json = _db.LoadDocument(DocumentName);
        if (json is null)
            return false;
        try
        {
            var snapshot = JsonSerializer.Deserialize(json, NodeStateJsonContext.Default.PeerPolicySnapshot)
                ?? throw new JsonException("the document is null");
            _policy.Restore(snapshot);
            _logger.LogInformation("Restored peer policy: {Whitelist} whitelist entries, {Bans} bans", snapshot.Whitelist.Count, snapshot.Bans.Count);
            return true;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException or FormatException)
        {
            _logger.LogError(e, "The saved peer policy in {Path} cannot be read; starting with an empty policy", _db.DatabasePath);
            return false;
        }
    }

    private void OnViolationRecorded(object? sender, ViolationRecord record)
    {
        if (record.IsNoBan)
            return; // a no-ban peer's violations are not counted
        lock (_saveLock)
        {
            if (_violationSavePending || _violationSave is null)
                return;
            _violationSavePending = true;
            _violationSave.Change(ViolationSaveDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void SavePendingViolations()
    {
        // Under the save lock throughout (Save takes it again), so a stop that disposed the timer meanwhile is seen and
        // no save reaches a closed database.
        lock (_saveLock)
        {
            if (_violationSave is null || !_violationSavePending)
                return;
            _violationSavePending = false;
            SaveLogged("violation scores");
        }
    }

    private void SaveLogged(string what)
    {
        try
        {
            Save();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Could not save {What}", what);
            SaveCompleted?.Invoke(e);
            return;
        }
        SaveCompleted?.Invoke(null);
    }

    private void OnAuditRecorded(object? sender, AuditRecord record)
    {
        try
        {
            // The audit row and the snapshot that holds the change commit together (one transaction).
            lock (_saveLock)
                _db.AppendAuditAndSaveDocument([ToAuditRow(record)], DocumentName, SnapshotJson(), _time.GetUtcNow());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The policy raised this from an operator command or a connection; never let storage failure break it.
            _logger.LogError(e, "Could not persist peer policy change {Action} {Range}", record.Action, record.Range);
            SaveCompleted?.Invoke(e);
            return;
        }
        SaveCompleted?.Invoke(null);
    }
}
