namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The whole simulation's only scheduler: one FIFO run queue and one timer heap in virtual time, driven by
/// <see cref="RunUntil"/> on the thread that created it. The loop drains the run queue (continuations posted to a
/// <see cref="SimulationContext"/>), then advances virtual time to the earliest timer (ordered by due time, then by
/// creation sequence), fires it, and drains again. Nothing here reads the wall clock or the thread pool, so one seed
/// gives one run.
/// </summary>
/// <remarks>
/// Why not <c>Nito.AsyncEx.Context</c>'s <c>AsyncContext</c>: it is single-threaded but waits on the real clock; a
/// simulation needs the run queue and the timers in one loop so that "nothing to run" means "advance virtual time".
/// Work posted from any other thread means a thread-pool hop leaked into the node: the post is refused and the run
/// fails with <see cref="SimulationThreadLeakException"/> at the next step.
/// </remarks>
public sealed class SimulationScheduler
{
    private readonly Queue<WorkItem> _runQueue = new();
    private readonly PriorityQueue<TimerEntry, (long Due, long Sequence)> _timers = new();
    private readonly int _ownerThread;
    private long _now;
    private long _sequence;
    private long _timerIds;
    private volatile string? _leak;

    /// <summary>Creates a scheduler whose virtual clock starts at <paramref name="epoch"/>.</summary>
    public SimulationScheduler(DateTimeOffset epoch, TraceHash trace)
    {
        Epoch = epoch;
        Trace = trace;
        _ownerThread = Environment.CurrentManagedThreadId;
        Harness = new SimulationContext(this, "harness");
    }

    /// <summary>Virtual time zero.</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>The trace of the run (delivered messages, timer firings, tip changes).</summary>
    public TraceHash Trace { get; }

    /// <summary>The context of the harness itself (sampling, faults); it never dies.</summary>
    public SimulationContext Harness { get; }

    /// <summary>Virtual time elapsed since <see cref="Epoch"/>.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref _now));

    /// <summary>The current virtual time.</summary>
    public DateTimeOffset Now => Epoch + Elapsed;

    /// <summary>When set, wall ticks spent per kind of work item (diagnostics: SIM_PROFILE=1).</summary>
    public Dictionary<string, long>? Profile { get; set; } = Environment.GetEnvironmentVariable("SIM_PROFILE") == "1" ? [] : null;

    /// <summary>Work items executed so far.</summary>
    public long StepsExecuted { get; private set; }

    /// <summary>Timers fired so far.</summary>
    public long TimersFired { get; private set; }

    /// <summary>The longest the run queue has been.</summary>
    public int MaxRunQueueLength { get; private set; }

    /// <summary>Timers pending now (including stale entries of changed timers).</summary>
    public int PendingTimers => _timers.Count;

    /// <summary>Creates the context of one node incarnation (its continuations, timers and deliveries).</summary>
    public SimulationContext CreateContext(string name) => new(this, name);

    /// <summary>Creates a clock for <paramref name="context"/>, optionally skewed (wall time only; timers are not).</summary>
    public SimulationClock CreateClock(SimulationContext context, TimeSpan skew = default) => new(this, context, skew);

    /// <summary>Runs everything due up to <paramref name="until"/>; virtual time then stands at <paramref name="until"/>.</summary>
    /// <exception cref="SimulationThreadLeakException">Work was posted from another thread.</exception>
    public void RunUntil(TimeSpan until)
    {
        AssertOwnerThread("RunUntil");
        if (IsRunning)
            throw new InvalidOperationException("RunUntil is not reentrant: it was called from work the scheduler runs.");
        IsRunning = true;
        try
        {
            RunLoop(until);
        }
        finally
        {
            IsRunning = false;
        }
    }

    /// <summary>True while <see cref="RunUntil"/> runs (work it runs must not call it again).</summary>
    public bool IsRunning { get; private set; }

    private void RunLoop(TimeSpan until)
    {
        while (true)
        {
            DrainRunQueue();
            if (!_timers.TryPeek(out var entry, out var key) || key.Due > until.Ticks)
                break;
            _timers.Dequeue();
            var timer = entry.Timer;
            if (entry.Version != timer.Version || !timer.Context.IsAlive)
                continue;
            if (key.Due > _now)
                Volatile.Write(ref _now, key.Due);
            if (timer.Period > 0)
                Enqueue(timer, _now + timer.Period);
            TimersFired++;
            if (timer.Traced)
                Trace.TimerFired(_now, timer.Id);
            Execute(timer.Context, timer.Callback, timer.State);
        }
        if (until.Ticks > _now)
            Volatile.Write(ref _now, until.Ticks);
        ThrowIfLeaked();
    }

    /// <summary>Runs only what is runnable now (the run queue and timers due now).</summary>
    public void RunPending() => RunUntil(Elapsed);

    /// <summary>Runs <paramref name="action"/> under <paramref name="context"/> at <paramref name="delay"/> from now.</summary>
    public ITimer Schedule(SimulationContext context, TimeSpan delay, Action action, bool traced = true) =>
        CreateTimer(context, static s => ((Action)s!)(), action, delay, Timeout.InfiniteTimeSpan, traced);

    internal ITimer CreateTimer(SimulationContext context, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period, bool traced = true)
    {
        AssertOwnerThread("CreateTimer");
        var timer = new SimulationTimer(this, context, callback, state, ++_timerIds, traced);
        timer.Change(dueTime, period);
        return timer;
    }

    internal void Arm(SimulationTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        AssertOwnerThread("ITimer.Change");
        timer.Version++;
        timer.Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
        if (dueTime == Timeout.InfiniteTimeSpan)
            return;
        long due = _now + Math.Max(0, dueTime.Ticks);
        Enqueue(timer, due);
    }

    internal void Disarm(SimulationTimer timer)
    {
        AssertOwnerThread("ITimer.Dispose");
        timer.Version++;
    }

    internal void Post(SimulationContext context, SendOrPostCallback callback, object? state)
    {
        if (Environment.CurrentManagedThreadId != _ownerThread)
        {
            _leak ??= $"work for '{context.Name}' was posted from thread {Environment.CurrentManagedThreadId} " +
                $"(thread pool: {Thread.CurrentThread.IsThreadPoolThread}) instead of the simulation thread {_ownerThread}:\n{Environment.StackTrace}";
            throw new SimulationThreadLeakException(_leak);
        }
        _runQueue.Enqueue(new WorkItem(context, callback, state));
        if (_runQueue.Count > MaxRunQueueLength)
            MaxRunQueueLength = _runQueue.Count;
    }

    /// <summary>Fails when called from a thread other than the simulation's (a leaked thread-pool hop).</summary>
    public void AssertOwnerThread(string what)
    {
        if (Environment.CurrentManagedThreadId == _ownerThread)
            return;
        _leak ??= $"{what} was called from thread {Environment.CurrentManagedThreadId} (thread pool: {Thread.CurrentThread.IsThreadPoolThread}) " +
            $"instead of the simulation thread {_ownerThread}:\n{Environment.StackTrace}";
        throw new SimulationThreadLeakException(_leak);
    }

    private void Enqueue(SimulationTimer timer, long due) =>
        _timers.Enqueue(new TimerEntry(timer, timer.Version), (due, ++_sequence));

    private void DrainRunQueue()
    {
        while (_runQueue.TryDequeue(out var item))
        {
            if (!item.Context.IsAlive)
                continue;
            Execute(item.Context, item);
            ThrowIfLeaked();
        }
    }

    private void Execute(SimulationContext context, TimerCallback callback, object? state)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            StepsExecuted++;
            if (Profile is { } profile)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                callback(state);
                var what = state?.GetType().ToString() ?? callback.Method.ToString();
                profile[what!] = profile.GetValueOrDefault(what!) + System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks;
            }
            else
            {
                callback(state);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void Execute(SimulationContext context, in WorkItem item)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            StepsExecuted++;
            if (Profile is { } profile)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                item.Callback(item.State);
                var what = item.State?.GetType().ToString() ?? item.Callback.Method.ToString();
                profile[what!] = profile.GetValueOrDefault(what!) + System.Diagnostics.Stopwatch.GetElapsedTime(start).Ticks;
            }
            else
            {
                item.Callback(item.State);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void ThrowIfLeaked()
    {
        if (_leak is { } leak)
            throw new SimulationThreadLeakException(leak);
    }

    /// <summary>A queued continuation: a struct in the queue's array, so a post allocates nothing.</summary>
    private readonly record struct WorkItem(SimulationContext Context, SendOrPostCallback Callback, object? State);

    private readonly record struct TimerEntry(SimulationTimer Timer, long Version);
}
