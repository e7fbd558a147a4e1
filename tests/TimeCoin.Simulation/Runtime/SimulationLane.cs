using System.Runtime.ExceptionServices;

namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// One host's share of the simulation (every incarnation of one node, or one attacker host): its own FIFO run queue,
/// timer heap, virtual clock, trace and outbox of cross-host effects. Within a window of the
/// <see cref="SimulationScheduler"/> a lane runs on one thread at a time and touches nothing of another lane; what it
/// does to another host goes through its outbox (<see cref="Send"/>) and reaches that host's lane at the barrier.
/// </summary>
public sealed class SimulationLane
{
    private readonly Queue<WorkItem> _runQueue = new();
    private readonly PriorityQueue<TimerEntry, (long Due, long Sequence)> _timers = new();
    private readonly List<(MailboxMessage Message, SimulationLane To)> _outbox = [];
    private readonly List<MailboxMessage> _inbox = [];
    private readonly List<Action> _atBarrier = [];
    private long _sequence;
    private long _timerIds;
    private long _inboxMin = long.MaxValue;

    // True while the lane runs a window (its own thread): changes to its queues are then accounted when the window
    // ends; outside one (the harness or the barrier changed them) they are told to the scheduler at once.
    private bool _running;

    internal SimulationLane(SimulationScheduler scheduler, int index, string name, TraceHash trace)
    {
        Scheduler = scheduler;
        Index = index;
        Name = name;
        Trace = trace;
        Kernel = new SimulationContext(this, name + "/kernel");
    }

    /// <summary>The scheduler the lane belongs to.</summary>
    public SimulationScheduler Scheduler { get; }

    /// <summary>Position among the lanes (the order outboxes are merged and lane hashes combined in).</summary>
    public int Index { get; }

    /// <summary>For diagnostics.</summary>
    public string Name { get; }

    /// <summary>The lane's own trace (delivered messages, timer firings, tip changes of its host).</summary>
    public TraceHash Trace { get; }

    /// <summary>A context of the lane that never dies: the simulated kernel's own work (dial answers, resets).</summary>
    public SimulationContext Kernel { get; }

    /// <summary>The lane's virtual time (ticks since the epoch) while it runs; the scheduler's between windows.</summary>
    internal long Now;

    /// <summary>The managed thread id running the lane now, or 0.</summary>
    internal int Runner;

    /// <summary>Work items executed so far.</summary>
    public long StepsExecuted { get; private set; }

    /// <summary>Timers fired so far.</summary>
    public long TimersFired { get; private set; }

    /// <summary>The longest the run queue has been.</summary>
    public int MaxRunQueueLength { get; private set; }

    /// <summary>Timers pending now (including stale entries of changed timers).</summary>
    public int PendingTimers => _timers.Count;

    /// <summary>When set, wall ticks spent per kind of work item (diagnostics: SIM_PROFILE=1).</summary>
    internal Dictionary<string, long>? Profile { get; set; }

    /// <summary>The first exception work of this lane threw in the current window (rethrown at the barrier).</summary>
    internal ExceptionDispatchInfo? Failure { get; set; }

    internal long NextTimerId() => ++_timerIds;

    /// <summary>The earliest virtual time at which the lane has something to do (long.MaxValue: nothing).</summary>
    internal long NextEventTime()
    {
        if (_runQueue.Count > 0)
            return Now;
        long next = _inboxMin;
        if (_timers.TryPeek(out _, out var key) && key.Due < next)
            next = key.Due;
        return next;
    }

    internal void Post(SimulationContext context, SendOrPostCallback callback, object? state)
    {
        _runQueue.Enqueue(new WorkItem(context, callback, state));
        if (_runQueue.Count > MaxRunQueueLength)
            MaxRunQueueLength = _runQueue.Count;
        if (!_running)
            Scheduler.NoteNextEvent(this);
    }

    internal void Enqueue(SimulationTimer timer, long due)
    {
        _timers.Enqueue(new TimerEntry(timer, timer.Version), (due, ++_sequence));
        if (!_running)
            Scheduler.NoteNextEvent(this);
    }

    /// <summary>
    /// Sends a cross-host effect: it waits in this lane's outbox until the barrier. Its arrival must lie at or after
    /// the end of the window being run (the lookahead guarantees it for any link); anything earlier is a defect of
    /// the simulation and fails the run.
    /// </summary>
    internal void Send(in MailboxMessage message)
    {
        Scheduler.AssertCanTouch(this, "a cross-host send");
        if (message.Arrival < Scheduler.EarliestCrossHostArrival)
            throw new InvalidOperationException(
                $"Lane '{Name}' sent a cross-host effect arriving at {message.Arrival} ticks, inside the window ending at {Scheduler.EarliestCrossHostArrival}: " +
                $"the lookahead ({Scheduler.Lookahead}) is larger than some link's latency.");
        if (_outbox.Count == 0 && !_running)
            Scheduler.NoteOutbox(this);
        // The receiving lane is looked up here, in the window (in parallel), not at the barrier.
        _outbox.Add((message, message.Target.Lane));
    }

    /// <summary>True when the outbox holds something for the barrier.</summary>
    internal bool HasOutbox => _outbox.Count > 0;

    /// <summary>Runs <paramref name="action"/> on the coordinating thread at the next barrier (every lane paused), in lane order.</summary>
    internal void AtBarrier(Action action)
    {
        Scheduler.AssertCanTouch(this, "AtBarrier");
        _atBarrier.Add(action);
        Scheduler.NoteBarrierAction();
    }

    internal void Deliver(in MailboxMessage message)
    {
        _inbox.Add(message);
        if (message.Arrival < _inboxMin)
        {
            _inboxMin = message.Arrival;
            Scheduler.NoteNextEvent(this);
        }
    }

    /// <summary>Hands the outbox to the receiving lanes (barrier, coordinating thread).</summary>
    internal void FlushOutbox(long earliest)
    {
        if (_outbox.Count == 0)
            return;
        foreach (var (message, to) in _outbox)
        {
            if (message.Arrival < earliest)
                throw new InvalidOperationException($"Lane '{Name}' sent a cross-host effect arriving at {message.Arrival} ticks, before the barrier at {earliest}.");
            to.Deliver(message);
        }
        _outbox.Clear();
    }

    /// <summary>Runs the actions queued for the barrier (coordinating thread).</summary>
    internal void RunBarrierActions()
    {
        if (_atBarrier.Count == 0)
            return;
        var actions = _atBarrier.ToArray();
        _atBarrier.Clear();
        foreach (var action in actions)
            action();
    }

    /// <summary>Runs everything due before <paramref name="end"/> (exclusive), starting at <paramref name="start"/>; on the calling thread.</summary>
    internal void RunWindow(long start, long end)
    {
        _running = true;
        var previous = SynchronizationContext.Current;
        try
        {
            RunWindowCore(start, end);
        }
        finally
        {
            if (SynchronizationContext.Current != previous)
                SynchronizationContext.SetSynchronizationContext(previous);
            _running = false;
            Scheduler.NoteNextEvent(this);
        }
    }

    private void RunWindowCore(long start, long end)
    {
        if (Now < start)
            Now = start;
        if (_inbox.Count > 0)
        {
            // Merged in the order the barrier delivered them (sending lane, then sending order).
            foreach (var message in _inbox)
                message.Target.OnMerged(message);
            _inbox.Clear();
            _inboxMin = long.MaxValue;
        }
        while (true)
        {
            while (_runQueue.TryDequeue(out var item))
            {
                if (!item.Context.IsAlive)
                    continue;
                Execute(item.Context, item.Callback, item.State);
                Scheduler.ThrowIfLeaked();
            }
            if (!_timers.TryPeek(out var entry, out var key) || key.Due >= end)
                break;
            _timers.Dequeue();
            var timer = entry.Timer;
            if (entry.Version != timer.Version || !timer.Context.IsAlive)
                continue;
            if (key.Due > Now)
                Now = key.Due;
            if (timer.Period > 0)
                Enqueue(timer, Now + timer.Period);
            TimersFired++;
            if (timer.Traced)
                Trace.TimerFired(Now, timer.Id);
            Execute(timer.Context, timer.Callback, timer.State);
        }
    }

    /// <summary>
    /// Runs one work item under its context. The context stays installed after the item (the next item is mostly the
    /// same node's, so a window sets the thread's context once instead of twice per item); <see cref="RunWindow"/> puts
    /// the thread's own context back when the window ends.
    /// </summary>
    private void Execute(SimulationContext context, Delegate callback, object? state)
    {
        if (SynchronizationContext.Current != context)
            SynchronizationContext.SetSynchronizationContext(context);
        StepsExecuted++;
        if (Profile is { } profile)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            Invoke(callback, state);
            var what = state?.GetType().ToString() ?? callback.Method.ToString();
            profile[what!] = profile.GetValueOrDefault(what!) + System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks;
        }
        else
        {
            Invoke(callback, state);
        }
    }

    private static void Invoke(Delegate callback, object? state)
    {
        if (callback is SendOrPostCallback post)
            post(state);
        else
            ((TimerCallback)callback)(state);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>A queued continuation: a struct in the queue's array, so a post allocates nothing.</summary>
    private readonly record struct WorkItem(SimulationContext Context, Delegate Callback, object? State);

    private readonly record struct TimerEntry(SimulationTimer Timer, long Version);
}
