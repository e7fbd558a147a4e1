namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The <see cref="SynchronizationContext"/> of one node incarnation (or of the harness). Every continuation that
/// captured it goes to the scheduler's single run queue, tagged with this context; when the node crashes the
/// context is killed and its queued work, timers and deliveries are dropped, exactly like a killed process.
/// </summary>
public sealed class SimulationContext : SynchronizationContext
{
    private readonly SimulationScheduler _scheduler;

    internal SimulationContext(SimulationScheduler scheduler, string name)
    {
        _scheduler = scheduler;
        Name = name;
    }

    /// <summary>For diagnostics.</summary>
    public string Name { get; }

    /// <summary>False once <see cref="Kill"/> was called.</summary>
    public bool IsAlive { get; private set; } = true;

    /// <summary>Drops everything this context has queued or will queue.</summary>
    public void Kill() => IsAlive = false;

    /// <inheritdoc />
    public override void Post(SendOrPostCallback d, object? state) => _scheduler.Post(this, d, state);

    /// <inheritdoc />
    public override void Send(SendOrPostCallback d, object? state)
    {
        _scheduler.AssertOwnerThread("SynchronizationContext.Send");
        d(state);
    }

    /// <inheritdoc />
    public override SynchronizationContext CreateCopy() => this;
}
