using TimeCoin.Node.Config;
using TimeCoin.Sync;

namespace TimeCoin.Node.Sync;

/// <summary>Settings of the <see cref="SyncCoordinator"/> (the <c>[sync]</c> section plus planner bounds).</summary>
public sealed record SyncCoordinatorOptions
{
    /// <summary>Kill switch (<c>sync.enabled</c>): when false the coordinator never requests anything.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Time between two sync rounds when nothing else wakes the loop (<c>sync.interval_secs</c>, the seed's 60 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time between rounds while requests are outstanding or a peer is ahead, so stalls and request timeouts are
    /// noticed promptly (the planner's base stall timeout is 2 s).
    /// </summary>
    public TimeSpan ActiveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>More than this many blocks behind the best peer counts as lagging (<c>sync.lag_warning_blocks</c>).</summary>
    public int LagWarningBlocks { get; init; } = 50;

    /// <summary>How long a lag must last before the alert is raised (<c>sync.lag_grace_secs</c>).</summary>
    public TimeSpan LagGracePeriod { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Most blocks committed to the store in one transaction.</summary>
    public int MaxBlocksPerBatch { get; init; } = 512;

    /// <summary>
    /// Requests that were never answered are dropped after this long, as are delivered blocks received this long ago
    /// whose height is at or below our tip's (they can no longer extend it); blocks above the tip stay buffered until
    /// the tip passes them.
    /// </summary>
    public TimeSpan StaleBlockTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Download bounds and fork-resolution limits (the fork depth limits are capped at the chain's maximum reorg depth).</summary>
    public SyncPlannerOptions Planner { get; init; } = new();

    /// <summary>
    /// Most peer data events (announcements, headers, blocks) waiting for the sync loop; a connection delivering more
    /// waits (stops reading its peer) until the loop catches up. Default 1,024.
    /// </summary>
    public int MaxQueuedEvents { get; init; } = 1024;

    /// <summary>Options from the node configuration's <c>[sync]</c> section, other settings at their defaults.</summary>
    public static SyncCoordinatorOptions FromConfig(SyncConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new SyncCoordinatorOptions
        {
            Enabled = config.Enabled,
            Interval = TimeSpan.FromSeconds(config.IntervalSecs),
            LagWarningBlocks = config.LagWarningBlocks,
            LagGracePeriod = TimeSpan.FromSeconds(config.LagGraceSecs),
        };
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Interval, TimeSpan.Zero, nameof(Interval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ActiveInterval, TimeSpan.Zero, nameof(ActiveInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(LagWarningBlocks, nameof(LagWarningBlocks));
        ArgumentOutOfRangeException.ThrowIfLessThan(LagGracePeriod, TimeSpan.Zero, nameof(LagGracePeriod));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBlocksPerBatch, nameof(MaxBlocksPerBatch));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StaleBlockTimeout, TimeSpan.Zero, nameof(StaleBlockTimeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedEvents, nameof(MaxQueuedEvents));
        ArgumentNullException.ThrowIfNull(Planner, nameof(Planner));
        Planner.Validate();
        if (Planner.BlocksPerRequest > Network.Protocol.ProtocolLimits.MaxBlocksPerMessage)
            throw new ArgumentOutOfRangeException(nameof(Planner), Planner.BlocksPerRequest,
                $"Planner.BlocksPerRequest is over the protocol's {Network.Protocol.ProtocolLimits.MaxBlocksPerMessage} blocks per message");
        if (Planner.ForkResolution.MaxBlocksPerRequest > Network.Protocol.ProtocolLimits.MaxBlocksPerMessage)
            throw new ArgumentOutOfRangeException(nameof(Planner), Planner.ForkResolution.MaxBlocksPerRequest,
                $"Planner.ForkResolution.MaxBlocksPerRequest is over the protocol's {Network.Protocol.ProtocolLimits.MaxBlocksPerMessage} blocks per message");
        if (Planner.MaxHeadersPerRequest > Network.Protocol.ProtocolLimits.MaxHeadersPerMessage)
            throw new ArgumentOutOfRangeException(nameof(Planner), Planner.MaxHeadersPerRequest,
                $"Planner.MaxHeadersPerRequest is over the protocol's {Network.Protocol.ProtocolLimits.MaxHeadersPerMessage} headers per message");
    }
}
