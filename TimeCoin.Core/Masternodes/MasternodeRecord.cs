using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>
/// What the registry knows about one masternode, as an immutable copy taken at <see cref="HeartbeatRegistry"/>
/// query time. Also the unit of persistence: <see cref="HeartbeatRegistry.Snapshot"/> and
/// <see cref="HeartbeatRegistry.Restore"/>. All times are our clock's, except <see cref="LastAnnouncementTimestamp"/>
/// which is the masternode's signed time.
/// </summary>
public sealed record MasternodeRecord
{
    /// <summary>The masternode's identity.</summary>
    public required PublicKey Key { get; init; }

    /// <summary>Where it listens, "ip:port" (from its latest announcement or heartbeat).</summary>
    public required string Address { get; init; }

    /// <summary>Announced collateral tier.</summary>
    public required MasternodeTier Tier { get; init; }

    /// <summary>When this registry first accepted it.</summary>
    public required DateTimeOffset FirstSeen { get; init; }

    /// <summary>When a heartbeat or announcement from it was last accepted.</summary>
    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>When a heartbeat from it was last accepted, or null if none yet.</summary>
    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Active or offline.</summary>
    public required MasternodeStatus Status { get; init; }

    /// <summary>When it entered <see cref="Status"/>.</summary>
    public required DateTimeOffset StatusSince { get; init; }

    /// <summary>How long it has been active without interruption at query time; zero while offline. Derived: ignored by restore.</summary>
    public TimeSpan Uptime { get; init; }

    /// <summary>Sequence number of the last accepted heartbeat, or null if none yet.</summary>
    public ulong? LastSequence { get; init; }

    /// <summary>Chain height reported in the last accepted heartbeat, or null if none yet.</summary>
    public ulong? LastReportedHeight { get; init; }

    /// <summary>Signed timestamp of the last accepted announcement; a new announcement must be newer.</summary>
    public required DateTimeOffset LastAnnouncementTimestamp { get; init; }
}
