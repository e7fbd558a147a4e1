using System.IO.Hashing;

namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The trace of a whole run: the harness's own <see cref="TraceHash"/> (faults, crashes, restarts, harness timers) and
/// one per lane (the messages its host received, its timer firings, its tip changes), each in that lane's order. The
/// run's hash combines them in lane order, so it is the same for any number of worker threads; it is not the hash the
/// single-queue scheduler of earlier versions gave for the same seed (events of different hosts are no longer in one
/// sequence).
/// </summary>
public sealed class SimulationTrace
{
    private readonly SimulationScheduler _scheduler;
    private readonly TraceHash _harness;

    internal SimulationTrace(SimulationScheduler scheduler, TraceHash harness)
    {
        _scheduler = scheduler;
        _harness = harness;
    }

    /// <summary>Events hashed so far, over the harness and every lane.</summary>
    public long Events => _harness.Events + _scheduler.Lanes.Sum(l => l.Trace.Events);

    /// <summary>Adds a tip change to the trace of the lane running now (the harness's between windows).</summary>
    public void TipChanged(long now, int node, long height, ReadOnlySpan<byte> hash) =>
        _scheduler.CurrentTrace.TipChanged(now, node, height, hash);

    /// <summary>Adds a harness event (a fault applied, a node crashed) to the trace of the lane running now (the harness's between windows).</summary>
    public void Note(long now, string text) => _scheduler.CurrentTrace.Note(now, text);

    /// <summary>The hash of everything so far: the harness's hash, then each lane's in lane order (the trace goes on).</summary>
    public string Current()
    {
        var combined = new XxHash128();
        Span<byte> digest = stackalloc byte[16];
        _harness.GetCurrentHash(digest);
        combined.Append(digest);
        foreach (var lane in _scheduler.Lanes)
        {
            lane.Trace.GetCurrentHash(digest);
            combined.Append(digest);
        }
        combined.GetCurrentHash(digest);
        return Convert.ToHexStringLower(digest);
    }
}
