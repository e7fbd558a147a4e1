namespace TimeCoin.Core.Liveness;

/// <summary>
/// A consistent copy of one connection's ping figures, taken at one instant (for RPC such as get-peer-info).
/// </summary>
/// <param name="MissedPongs">Consecutive missed pongs (reset by a pong answered in time).</param>
/// <param name="TotalMissedPongs">Missed pongs over the life of the connection.</param>
/// <param name="PendingPings">Pings sent and not yet answered nor counted as missed.</param>
/// <param name="UnknownPongs">Pongs whose nonce matched no ping.</param>
/// <param name="LatePongs">Pongs that answered a ping already counted as missed.</param>
/// <param name="LastRtt">Round-trip time of the last answered ping, or null before the first pong.</param>
/// <param name="MinRtt">Smallest round-trip time seen, or null before the first pong.</param>
/// <param name="AverageRtt">Mean round-trip time over all answered pings, or null before the first pong.</param>
/// <param name="LastPongAt">When the last matching pong arrived, or null.</param>
/// <param name="LastPingSentAt">When the last ping was sent, or null.</param>
/// <param name="LastRequestedDataAt">When the peer last delivered data we asked for, or null.</param>
public sealed record PingStatistics(
    int MissedPongs,
    long TotalMissedPongs,
    int PendingPings,
    long UnknownPongs,
    long LatePongs,
    TimeSpan? LastRtt,
    TimeSpan? MinRtt,
    TimeSpan? AverageRtt,
    DateTimeOffset? LastPongAt,
    DateTimeOffset? LastPingSentAt,
    DateTimeOffset? LastRequestedDataAt);
