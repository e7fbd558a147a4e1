using System.IO.Pipelines;

namespace TimeCoin.Simulation.Runtime;

/// <summary>Runs pipe continuations on a <see cref="SimulationContext"/> (never on the thread pool).</summary>
public sealed class SimulationPipeScheduler : PipeScheduler
{
    private readonly SimulationContext _context;

    /// <summary>Creates the scheduler for <paramref name="context"/>.</summary>
    public SimulationPipeScheduler(SimulationContext context) => _context = context;

    /// <inheritdoc />
    public override void Schedule(Action<object?> action, object? state) =>
        _context.Post(static s => { var (a, st) = ((Action<object?>, object?))s!; a(st); }, (action, state));
}
