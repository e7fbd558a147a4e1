using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Masternodes;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Services;

/// <summary>
/// Keeps the masternode registry in the node database: <see cref="Start"/> restores the saved records, then the
/// registry is saved after an add, remove, status or address change (at once, then at most once per
/// <see cref="MinSaveSpacing"/>: anyone able to make keys can announce thousands of masternodes, and a full save per
/// announcement would cost quadratic time), every <see cref="SaveInterval"/> (heartbeats
/// move sequence numbers and last-seen times without an event), and once more on <see cref="Dispose"/>. Persisted
/// sequence numbers keep replayed heartbeats refused across restarts. An unreadable document is logged and the node
/// starts with an empty registry (masternodes re-announce).
/// </summary>
public sealed class MasternodeRegistryPersistence : IDisposable
{
    /// <summary>The name of the registry document in <see cref="NodeDatabase"/>.</summary>
    public const string DocumentName = "masternode_registry";

    /// <summary>How often the registry is saved even without a change event.</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(5);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Converters = { new JsonStringEnumConverter(), new PublicKeyHexJsonConverter() },
    };

    private readonly HeartbeatRegistry _registry;
    private readonly NodeDatabase _db;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _saveLock = new();
    private ITimer? _timer;
    private ITimer? _coalesce;
    private DateTimeOffset _lastChangeSave = DateTimeOffset.MinValue;
    private bool _savePending;

    /// <summary>Changes closer together than this are saved together (the first at once, the rest when it has passed).</summary>
    public static readonly TimeSpan MinSaveSpacing = TimeSpan.FromSeconds(2);

    /// <summary>Creates the persistence for <paramref name="registry"/>; call <see cref="Start"/>.</summary>
    public MasternodeRegistryPersistence(HeartbeatRegistry registry, NodeDatabase db, TimeProvider time, ILogger<MasternodeRegistryPersistence>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(time);
        _registry = registry;
        _db = db;
        _time = time;
        _logger = logger ?? NullLogger<MasternodeRegistryPersistence>.Instance;
    }

    /// <summary>Restores the saved records (true when some were restored) and starts saving.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public bool Start()
    {
        if (_timer is not null)
            throw new InvalidOperationException("Registry persistence is already started.");
        bool restored = TryRestore();
        _registry.MasternodeAdded += OnChanged;
        _registry.MasternodeRemoved += OnChanged;
        _registry.MasternodeStatusChanged += OnChanged;
        _registry.MasternodeAddressChanged += OnChanged;
        _timer = _time.CreateTimer(_ => SaveLogged(), null, SaveInterval, SaveInterval);
        _coalesce = _time.CreateTimer(_ => SavePending(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return restored;
    }

    /// <summary>Saves the registry's records now.</summary>
    public void Save()
    {
        lock (_saveLock)
            _db.SaveDocument(DocumentName, JsonSerializer.Serialize(_registry.Snapshot(), JsonOptions), _time.GetUtcNow());
    }

    /// <summary>Stops the timer and the event subscriptions, after a last save.</summary>
    public void Dispose()
    {
        if (_timer is null)
            return;
        _timer.Dispose();
        _timer = null;
        _coalesce?.Dispose();
        _coalesce = null;
        _registry.MasternodeAdded -= OnChanged;
        _registry.MasternodeRemoved -= OnChanged;
        _registry.MasternodeStatusChanged -= OnChanged;
        _registry.MasternodeAddressChanged -= OnChanged;
        SaveLogged();
    }

    private bool TryRestore()
    {
        var json = _db.LoadDocument(DocumentName);
        if (json is null)
            return false;
        try
        {
            var records = JsonSerializer.Deserialize<List<MasternodeRecord>>(json, JsonOptions) ?? throw new JsonException("the document is null");
            _registry.Restore(records);
            _logger.LogInformation("Restored {Count} masternodes", records.Count);
            return records.Count > 0;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            _logger.LogError(e, "The saved masternode registry in {Path} cannot be read; starting with an empty registry", _db.DatabasePath);
            return false;
        }
    }

    /// <summary>The registry was saved (null) or saving it failed (the exception); the node's alerts listen.</summary>
    public event Action<Exception?>? SaveCompleted;

    private void OnChanged(object? sender, MasternodeEventArgs e)
    {
        var now = _time.GetUtcNow();
        lock (_saveLock)
        {
            if (_savePending)
                return;
            if (now - _lastChangeSave < MinSaveSpacing)
            {
                _savePending = true;
                _coalesce?.Change(MinSaveSpacing - (now - _lastChangeSave), Timeout.InfiniteTimeSpan);
                return;
            }
            _lastChangeSave = now;
        }
        SaveLogged();
    }

    private void SavePending()
    {
        lock (_saveLock)
        {
            _savePending = false;
            _lastChangeSave = _time.GetUtcNow();
        }
        SaveLogged();
    }

    private void SaveLogged()
    {
        try
        {
            Save();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Could not save the masternode registry");
            SaveCompleted?.Invoke(e);
            return;
        }
        SaveCompleted?.Invoke(null);
    }
}
