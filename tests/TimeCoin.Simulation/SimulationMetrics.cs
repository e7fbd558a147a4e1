namespace TimeCoin.Simulation;

/// <summary>What the harness measured during a run (sampled every <see cref="SimulationOptions.SampleInterval"/>).</summary>
public sealed class SimulationMetrics
{
    /// <summary>One node's lag behind the best height among running nodes at one sample.</summary>
    public readonly record struct LagSample(TimeSpan At, int Node, long Lag);

    /// <summary>One disconnect a node recorded.</summary>
    public sealed record Disconnect(TimeSpan At, int Node, string Peer, bool WasWhitelisted, string Reason, TimeSpan Duration)
    {
        /// <summary>When the connection was established (virtual time).</summary>
        public TimeSpan ConnectedAt => At - Duration;

        /// <summary>
        /// The reason's kind (the text before the first colon); a peer's goodbye for a duplicate it closed counts as
        /// <c>duplicate</c> (the node keeps the other connection to that peer).
        /// </summary>
        public string Kind => Reason.StartsWith("goodbye: duplicate", StringComparison.Ordinal) ? "duplicate" : Reason.Split(':', 2)[0].Trim();
    }

    /// <summary>Lags of every running node at every sample.</summary>
    public List<LagSample> Lags { get; } = [];

    /// <summary>Height spread (max - min over running nodes) at every sample.</summary>
    public List<(TimeSpan At, long Spread)> Spreads { get; } = [];

    /// <summary>Every disconnect any node recorded.</summary>
    public List<Disconnect> Disconnects { get; } = [];

    /// <summary>Missed pongs counted against whitelisted peers (excluding peers under an injected pong fault).</summary>
    public long WhitelistedMissedPongs { get; set; }

    /// <summary>Missed pongs counted against peers under an injected pong fault, or not whitelisted.</summary>
    public long OtherMissedPongs { get; set; }

    /// <summary>Invariant violations found while running.</summary>
    public List<string> InvariantViolations { get; } = [];

    /// <summary>The most blocks one node had in flight at a sample.</summary>
    public int MaxBlocksInFlight { get; set; }

    /// <summary>The most blocks in flight from one peer at any check.</summary>
    public int MaxBlocksInFlightPerPeer { get; set; }

    /// <summary>How often the planner's bounds were checked.</summary>
    public long PlannerChecks { get; set; }

    /// <summary>Tip changes seen.</summary>
    public long TipChanges { get; set; }
}
