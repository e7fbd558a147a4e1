using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;

namespace TimeCoin.Network.Connections;

/// <summary>
/// Keeps the masternode whitelist entries equal to the masternodes proved at their address: a masternode's IP is
/// whitelisted only once a handshake from (or to) that IP proved the announced key (its signed VerAck), so a signed
/// announcement alone, which anyone able to make a key can produce for any IP, whitelists nothing. The entry follows
/// the masternode: a new address drops the old entry at once and earns a new one on proof there; a removed
/// masternode loses its entry. An IP shared by several proved masternodes keeps its entry while any of them does.
/// Thread-safe; the connection manager calls <see cref="Refresh"/> when a connection registers, and the registry's
/// events drive the rest.
/// </summary>
internal sealed class MasternodeWhitelist : IDisposable
{
    private readonly object _gate = new();
    private readonly PeerPolicy _policy;
    private readonly HeartbeatRegistry _masternodes;
    private readonly Func<PublicKey, IPAddress?> _connectedFrom;
    private readonly ILogger _logger;
    private readonly Dictionary<PublicKey, IPAddress> _proved = new();

    /// <summary>Creates the follower and subscribes to the registry's events.</summary>
    /// <param name="policy">Where the masternode entries live.</param>
    /// <param name="masternodes">The announced masternodes (key and address).</param>
    /// <param name="connectedFrom">The IP of the live, handshaken connection to a node id, or null.</param>
    /// <param name="logger">Logs each entry added or removed.</param>
    public MasternodeWhitelist(PeerPolicy policy, HeartbeatRegistry masternodes, Func<PublicKey, IPAddress?> connectedFrom, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(masternodes);
        ArgumentNullException.ThrowIfNull(connectedFrom);
        ArgumentNullException.ThrowIfNull(logger);
        _policy = policy;
        _masternodes = masternodes;
        _connectedFrom = connectedFrom;
        _logger = logger;
        _masternodes.MasternodeAdded += OnRegistryChanged;
        _masternodes.MasternodeRemoved += OnRegistryChanged;
        _masternodes.MasternodeAddressChanged += OnRegistryChanged;
    }

    /// <summary>Number of masternodes proved at their address now.</summary>
    public int ProvedCount { get { lock (_gate) return _proved.Count; } }

    /// <summary>
    /// Drops every masternode entry left from an earlier run (a proof is about a live handshake, so it is made again
    /// when the masternode reconnects).
    /// </summary>
    public void ResetEntries()
    {
        lock (_gate)
        {
            _proved.Clear();
            _policy.ReplaceWhitelist(WhitelistSource.Masternode, [], "masternode entries are proved again after a restart");
        }
    }

    /// <summary>Re-evaluates the masternode <paramref name="key"/>: its record, its announced address and a live connection from there.</summary>
    public void Refresh(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var record = _masternodes.Find(key);
        IPAddress? announced = record is not null && IPEndPoint.TryParse(record.Address, out var endpoint) ? IpRange.Normalize(endpoint.Address) : null;
        var connected = _connectedFrom(key) is { } ip ? IpRange.Normalize(ip) : null;
        lock (_gate)
        {
            _proved.TryGetValue(key, out var old);
            if (old is not null && !old.Equals(announced))
            {
                _proved.Remove(key);
                if (!_proved.ContainsValue(old) && _policy.RemoveWhitelist(IpRange.FromAddress(old), WhitelistSource.Masternode,
                        record is null ? $"masternode {key.ToShortString()} removed" : $"masternode {key.ToShortString()} moved to {record.Address}"))
                    _logger.LogInformation("Removed masternode whitelist entry {Ip} ({Key}): {Why}", old, key.ToShortString(), record is null ? "removed" : $"moved to {record.Address}");
                old = null;
            }
            if (old is null && announced is not null && announced.Equals(connected))
            {
                if (_policy.AddWhitelist(IpRange.FromAddress(announced), WhitelistSource.Masternode, $"masternode {key.ToShortString()} proved by a handshake at {announced}"))
                {
                    _proved[key] = announced;
                    _logger.LogInformation("Whitelisted masternode {Key} at {Ip}: proved by a handshake from that address", key.ToShortString(), announced);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _masternodes.MasternodeAdded -= OnRegistryChanged;
        _masternodes.MasternodeRemoved -= OnRegistryChanged;
        _masternodes.MasternodeAddressChanged -= OnRegistryChanged;
    }

    private void OnRegistryChanged(object? sender, MasternodeEventArgs e) => Refresh(e.Key);
}
