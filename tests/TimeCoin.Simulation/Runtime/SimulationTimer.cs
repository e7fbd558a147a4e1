namespace TimeCoin.Simulation.Runtime;

internal sealed class SimulationTimer : ITimer
{
    private readonly SimulationScheduler _scheduler;

    public SimulationTimer(SimulationScheduler scheduler, SimulationContext context, TimerCallback callback, object? state, long id, bool traced)
    {
        _scheduler = scheduler;
        Context = context;
        Callback = callback;
        State = state;
        Id = id;
        Traced = traced;
    }

    public SimulationContext Context { get; }

    public TimerCallback Callback { get; }

    public object? State { get; }

    public long Id { get; }

    public bool Traced { get; }

    public long Version { get; set; }

    public long Period { get; set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        _scheduler.Arm(this, dueTime, period);
        return true;
    }

    public void Dispose() => _scheduler.Disarm(this);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
