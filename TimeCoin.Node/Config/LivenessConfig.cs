namespace TimeCoin.Node.Config;

/// <summary>The <c>[liveness]</c> section: ping/pong timing, with a gentler regime for whitelisted peers.</summary>
public sealed record LivenessConfig
{
    /// <summary><c>ping_interval_secs</c>: seconds between two pings to a peer. Default 30.</summary>
    public int PingIntervalSecs { get; init; } = 30;

    /// <summary><c>pong_timeout_secs</c>: seconds to wait for a pong before counting it missed. Default 90.</summary>
    public int PongTimeoutSecs { get; init; } = 90;

    /// <summary><c>max_missed_pongs</c>: consecutive missed pongs after which an ordinary peer is disconnected. Default 3.</summary>
    public int MaxMissedPongs { get; init; } = 3;

    /// <summary><c>whitelisted_pong_timeout_secs</c>: pong timeout for whitelisted peers. Default 300.</summary>
    public int WhitelistedPongTimeoutSecs { get; init; } = 300;

    /// <summary><c>whitelisted_max_missed_pongs</c>: consecutive missed pongs tolerated from a whitelisted peer. Default 10.</summary>
    public int WhitelistedMaxMissedPongs { get; init; } = 10;

    /// <summary><c>keepalive_interval_secs</c>: seconds between two keep-alive pings to a whitelisted (lenient) peer. Default 15.</summary>
    public int KeepaliveIntervalSecs { get; init; } = 15;

    /// <summary>
    /// <c>check_interval_secs</c>: how long a connection's liveness driver waits before polling again after a poll
    /// failed. Pings and pong timeouts run on their own exact deadlines and a whitelist change applies at once, so this
    /// bounds nothing else. Default 10.
    /// </summary>
    public int CheckIntervalSecs { get; init; } = 10;
}
