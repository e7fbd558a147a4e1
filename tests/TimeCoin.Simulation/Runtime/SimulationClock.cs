namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// A node's clock in virtual time: <see cref="GetUtcNow"/> is its lane's time plus this node's skew, and every timer
/// (so every <c>Task.Delay</c> and timed <c>CancellationTokenSource</c> the node makes with it) goes into its lane's
/// heap under the node's context.
/// </summary>
public sealed class SimulationClock : TimeProvider
{
    private readonly SimulationScheduler _scheduler;

    internal SimulationClock(SimulationScheduler scheduler, SimulationContext context, TimeSpan skew)
    {
        _scheduler = scheduler;
        Context = context;
        Skew = skew;
    }

    /// <summary>The context timers of this clock run under.</summary>
    public SimulationContext Context { get; }

    /// <summary>How far this node's wall clock is ahead of virtual time (negative: behind).</summary>
    public TimeSpan Skew { get; }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        _scheduler.AssertCanTouch(Context.Lane, "GetUtcNow");
        return _scheduler.Epoch + TimeSpan.FromTicks(_scheduler.NowOf(Context.Lane)) + Skew;
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        _scheduler.AssertCanTouch(Context.Lane, "GetTimestamp");
        return _scheduler.NowOf(Context.Lane);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return _scheduler.CreateTimer(Context, callback, state, dueTime, period);
    }
}
