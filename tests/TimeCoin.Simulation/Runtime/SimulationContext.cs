namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The <see cref="SynchronizationContext"/> of one node incarnation (or of the harness). Every continuation that
/// captured it goes to the run queue of its <see cref="SimulationLane"/> (its host's), tagged with this context; when
/// the node crashes the context is killed and its queued work, timers and deliveries are dropped, exactly like a
/// killed process.
/// </summary>
public sealed class SimulationContext : SynchronizationContext
{
    internal SimulationContext(SimulationLane lane, string name)
    {
        Lane = lane;
        Name = name;
    }

    /// <summary>The lane (host) this context runs on.</summary>
    public SimulationLane Lane { get; }

    /// <summary>For diagnostics.</summary>
    public string Name { get; }

    /// <summary>False once <see cref="Kill"/> was called.</summary>
    public bool IsAlive { get; private set; } = true;

    /// <summary>Drops everything this context has queued or will queue.</summary>
    public void Kill() => IsAlive = false;

    /// <inheritdoc />
    public override void Post(SendOrPostCallback d, object? state) => Lane.Scheduler.Post(this, d, state);

    /// <inheritdoc />
    public override void Send(SendOrPostCallback d, object? state)
    {
        Lane.Scheduler.AssertCanTouch(Lane, "SynchronizationContext.Send");
        d(state);
    }

    /// <inheritdoc />
    public override SynchronizationContext CreateCopy() => this;
}
