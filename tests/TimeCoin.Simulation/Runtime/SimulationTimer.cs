namespace TimeCoin.Simulation.Runtime;

internal sealed class SimulationTimer : ITimer
{
    public SimulationTimer(SimulationContext context, TimerCallback callback, object? state, long id, bool traced)
    {
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
        Context.Lane.Scheduler.Arm(this, dueTime, period);
        return true;
    }

    public void Dispose() => Context.Lane.Scheduler.Disarm(this);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
