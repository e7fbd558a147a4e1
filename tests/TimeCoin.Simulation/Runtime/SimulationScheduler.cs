using System.Diagnostics;

namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The simulation's coordinator in virtual time: one <see cref="SimulationLane"/> per host (its run queue, timer heap,
/// clock and trace) and one harness lane, advanced in lock-step windows <c>[T, T + W)</c>, where W, the
/// <see cref="Lookahead"/>, is the shortest time any effect takes from one host to another (the smallest link
/// latency). Nothing one host does can reach another host within the window it was done in, so within a window every
/// lane runs on its own, on whichever worker thread takes it (<see cref="Workers"/>); what a lane sends to another
/// host waits in its outbox and is merged into the receiving lane at the barrier, in lane order. Harness work
/// (samples, faults, crashes, restarts, partitions) runs between windows with every lane paused, at its exact virtual
/// time: a window ends at the next harness event. Empty stretches are skipped (T jumps to the next event of any
/// lane). Each lane's order of events depends only on the seed, so one seed gives one run for any number of workers.
/// </summary>
/// <remarks>
/// Why not <c>Nito.AsyncEx.Context</c>'s <c>AsyncContext</c>: it waits on the real clock; a simulation needs the run
/// queue and the timers in one loop so that "nothing to run" means "advance virtual time". Work posted from a thread
/// that is not running the lane (a thread-pool hop, or one host's code touching another host's lane in a window) is
/// refused and the run fails with <see cref="SimulationThreadLeakException"/>. The workers wait for the next window by
/// spinning (windows are short and frequent), and sleep after <see cref="SpinBeforeSleep"/> without one.
/// </remarks>
public sealed class SimulationScheduler
{
    /// <summary>How long an idle worker spins for the next window before it sleeps.</summary>
    public static readonly TimeSpan SpinBeforeSleep = TimeSpan.FromMilliseconds(0.2);

    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(2);

    [ThreadStatic]
    private static SimulationLane? _current;

    private readonly List<SimulationLane> _lanes = [];
    private readonly TraceHash _harnessTrace;
    private readonly int _ownerThread;
    private readonly object _gate = new();
    private SimulationLane[] _active = [];
    // Each lane's next event time (SimulationLane.NextEventTime), by lane index: kept by the lanes as it changes, so the
    // barrier reads one array instead of every lane's queues.
    private long[] _nextEvents = [];
    // Lanes that sent between windows (harness work, barrier actions): flushed before the next window, in lane order.
    private readonly List<SimulationLane> _outboxesBetweenWindows = [];
    private bool _barrierActions;
    // The shared window's lanes still to take: generation (bits 44-63, wraps), the next from the front (bits 22-43: the
    // coordinating thread takes from there) and the end of the ones left (bits 0-21: the workers take from the back).
    // Lanes are in lane order, so each thread mostly runs the same lanes window after window (their data stays in its
    // core's cache), and the two meet wherever the window's work balances.
    private Handoff _handoff;
    private int _generation;
    private const int GenerationShift = 44;
    private const int FrontShift = 22;
    private const long IndexMask = (1L << 22) - 1;
    private int _sleepers;
    private int _workerThreads;
    private long _now;
    private long _windowEnd;
    private long _lookahead = long.MaxValue / 4;
    private volatile bool _inWindow;
    private bool _solo;
    private long _phaseEndsAt;
    private int _probeBlocksLeft;
    private readonly long[] _probeWall = new long[2];
    private readonly long[] _probeWork = new long[2];
    private long _blockStartWall;
    private long _blockStartWork;
    private long _blockHarnessTicks;
    private volatile string? _leak;

    /// <summary>Creates a scheduler whose virtual clock starts at <paramref name="epoch"/>; <paramref name="trace"/> takes the harness's events.</summary>
    public SimulationScheduler(DateTimeOffset epoch, TraceHash trace)
    {
        Epoch = epoch;
        _harnessTrace = trace;
        _ownerThread = Environment.CurrentManagedThreadId;
        Trace = new SimulationTrace(this, trace);
        HarnessLane = new SimulationLane(this, -1, "harness", trace);
        Harness = new SimulationContext(HarnessLane, "harness");
        if (Environment.GetEnvironmentVariable("SIM_PROFILE") == "1")
            HarnessLane.Profile = [];
    }

    /// <summary>Virtual time zero.</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>The trace of the run: the harness's events and every lane's, combined in lane order.</summary>
    public SimulationTrace Trace { get; }

    /// <summary>The lane of the harness: its work runs between windows, every other lane paused.</summary>
    public SimulationLane HarnessLane { get; }

    /// <summary>The context of the harness itself (sampling, faults); it never dies.</summary>
    public SimulationContext Harness { get; }

    /// <summary>The hosts' lanes, in creation order.</summary>
    public IReadOnlyList<SimulationLane> Lanes => _lanes;

    /// <summary>Threads that run lanes within a window (the calling thread is one of them); 1 runs everything on the calling thread.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// The window length: no cross-host effect may arrive sooner than this after it was sent (the network sets it to
    /// its smallest link latency). A send that would arrive inside the current window fails the run.
    /// </summary>
    public TimeSpan Lookahead
    {
        get => TimeSpan.FromTicks(_lookahead);
        set
        {
            AssertBarrier("setting the lookahead");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _lookahead = value.Ticks;
        }
    }

    /// <summary>Virtual time elapsed since <see cref="Epoch"/> (the running lane's time when called from a lane).</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(_current is { } lane ? lane.Now : Volatile.Read(ref _now));

    /// <summary>The current virtual time.</summary>
    public DateTimeOffset Now => Epoch + Elapsed;

    /// <summary>When set, wall ticks spent per kind of work item, summed over lanes (diagnostics: SIM_PROFILE=1).</summary>
    public Dictionary<string, long>? Profile
    {
        get
        {
            if (HarnessLane.Profile is null)
                return null;
            var total = new Dictionary<string, long>(HarnessLane.Profile);
            foreach (var lane in _lanes)
                foreach (var (what, ticks) in lane.Profile ?? [])
                    total[what] = total.GetValueOrDefault(what) + ticks;
            return total;
        }
    }

    /// <summary>Work items executed so far.</summary>
    public long StepsExecuted => HarnessLane.StepsExecuted + _lanes.Sum(l => l.StepsExecuted);

    /// <summary>Timers fired so far.</summary>
    public long TimersFired => HarnessLane.TimersFired + _lanes.Sum(l => l.TimersFired);

    /// <summary>The longest any run queue has been.</summary>
    public int MaxRunQueueLength => Math.Max(HarnessLane.MaxRunQueueLength, _lanes.Count == 0 ? 0 : _lanes.Max(l => l.MaxRunQueueLength));

    /// <summary>Timers pending now (including stale entries of changed timers).</summary>
    public int PendingTimers => HarnessLane.PendingTimers + _lanes.Sum(l => l.PendingTimers);

    /// <summary>Windows run so far (barriers passed).</summary>
    public long Windows { get; private set; }

    /// <summary>Windows in which more than one lane had work and the worker threads shared them.</summary>
    public long SharedWindows { get; private set; }

    /// <summary>
    /// When true (the default) and <see cref="Workers"/> is above 1, the scheduler measures now and then whether the
    /// workers make the run faster (work items per wall second of windows shared against windows run on the calling
    /// thread alone, in alternating blocks, so that both see the same work and the same load) and runs the following
    /// stretch the faster way: on a machine whose cores are busy with other work, a worker descheduled in the middle of
    /// a window stalls every barrier. The outcome does not depend on it (nor on the number of workers).
    /// <c>SIM_ADAPTIVE=0</c> turns it off (the workers share every busy window).
    /// </summary>
    public bool Adaptive { get; set; } = Environment.GetEnvironmentVariable("SIM_ADAPTIVE") != "0";

    /// <summary>Windows run on the calling thread alone because the last measurement found the workers slower.</summary>
    public long SoloWindows { get; private set; }

    /// <summary>
    /// With one worker and SIM_PROFILE=1: the CPU time of the lanes' work and the time the same windows would take on
    /// two ideal workers (per window the larger of its longest lane and half its work; no barrier cost), so the
    /// speed-up two cores could give this run is <c>Work / TwoWorkerCriticalPath</c>, measured where only one core is free.
    /// </summary>
    public (TimeSpan Work, TimeSpan TwoWorkerCriticalPath) ParallelEstimate =>
        (Stopwatch.GetElapsedTime(0, _estimateWork), Stopwatch.GetElapsedTime(0, (long)_estimateCritical));

    private long _estimateWork;
    private double _estimateCritical;

    /// <summary>True while <see cref="RunUntil"/> runs (work it runs must not call it again).</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The trace events of the running lane go to (the harness's between windows).</summary>
    internal TraceHash CurrentTrace => _current?.Trace ?? _harnessTrace;

    /// <summary>The earliest a cross-host effect sent now may arrive: the end of the running window, or now at a barrier.</summary>
    internal long EarliestCrossHostArrival => _inWindow ? _windowEnd : Volatile.Read(ref _now);

    /// <summary>Creates the lane of one host (barrier only).</summary>
    public SimulationLane CreateLane(string name)
    {
        AssertBarrier("CreateLane");
        if (_lanes.Count >= IndexMask)
            throw new InvalidOperationException($"At most {IndexMask} lanes (the shared window's ticket holds lane positions in 22 bits).");
        var lane = new SimulationLane(this, _lanes.Count, name, new TraceHash()) { Now = _now };
        if (HarnessLane.Profile is not null)
            lane.Profile = [];
        _lanes.Add(lane);
        if (_nextEvents.Length < _lanes.Count)
            Array.Resize(ref _nextEvents, Math.Max(16, _lanes.Count * 2));
        _nextEvents[lane.Index] = long.MaxValue;
        return lane;
    }

    /// <summary>The lane's next event time changed (its own thread at the end of its window, or the coordinating thread).</summary>
    internal void NoteNextEvent(SimulationLane lane)
    {
        if (lane.Index >= 0)
            _nextEvents[lane.Index] = lane.NextEventTime();
    }

    /// <summary>The lane sent something between windows (coordinating thread): its outbox is flushed before the next window.</summary>
    internal void NoteOutbox(SimulationLane lane)
    {
        if (lane.Index >= 0)
            _outboxesBetweenWindows.Add(lane);
    }

    /// <summary>A lane queued an action for the barrier.</summary>
    internal void NoteBarrierAction() => _barrierActions = true;

    /// <summary>Creates a context on a lane of its own (a host with one incarnation).</summary>
    public SimulationContext CreateContext(string name) => new(CreateLane(name), name);

    /// <summary>Creates the context of one node incarnation on its host's <paramref name="lane"/>.</summary>
    public SimulationContext CreateContext(string name, SimulationLane lane)
    {
        ArgumentNullException.ThrowIfNull(lane);
        return new(lane, name);
    }

    /// <summary>Creates a clock for <paramref name="context"/>, optionally skewed (wall time only; timers are not).</summary>
    public SimulationClock CreateClock(SimulationContext context, TimeSpan skew = default) => new(this, context, skew);

    /// <summary>Runs everything due up to <paramref name="until"/> (inclusive); virtual time then stands at <paramref name="until"/>.</summary>
    /// <exception cref="SimulationThreadLeakException">Work was posted from a thread not running its lane.</exception>
    public void RunUntil(TimeSpan until)
    {
        AssertBarrier("RunUntil");
        if (IsRunning)
            throw new InvalidOperationException("RunUntil is not reentrant: it was called from work the scheduler runs.");
        IsRunning = true;
        try
        {
            RunLoop(until.Ticks);
        }
        finally
        {
            IsRunning = false;
        }
    }

    /// <summary>Runs only what is runnable now (the run queues and timers due now).</summary>
    public void RunPending() => RunUntil(Elapsed);

    /// <summary>Runs <paramref name="action"/> under <paramref name="context"/> at <paramref name="delay"/> from now.</summary>
    public ITimer Schedule(SimulationContext context, TimeSpan delay, Action action, bool traced = true) =>
        CreateTimer(context, static s => ((Action)s!)(), action, delay, Timeout.InfiniteTimeSpan, traced);

    /// <summary>
    /// Fails (a leak) unless the calling thread may touch <paramref name="lane"/> now: it runs that lane in the
    /// current window, or it is the coordinating thread between windows.
    /// </summary>
    public void AssertCanTouch(SimulationLane lane, string what)
    {
        if (ReferenceEquals(_current, lane) || (!_inWindow && Environment.CurrentManagedThreadId == _ownerThread))
            return;
        _leak ??= $"{what} on lane '{lane?.Name}' was called from thread {Environment.CurrentManagedThreadId} (thread pool: {Thread.CurrentThread.IsThreadPoolThread}, " +
            $"running lane '{_current?.Name ?? "none"}') instead of the thread running that lane:\n{Environment.StackTrace}";
        throw new SimulationThreadLeakException(_leak);
    }

    /// <summary>The virtual time <paramref name="lane"/>'s code sees now.</summary>
    internal long NowOf(SimulationLane lane) => ReferenceEquals(_current, lane) ? lane.Now : Volatile.Read(ref _now);

    internal ITimer CreateTimer(SimulationContext context, TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period, bool traced = true)
    {
        AssertCanTouch(context.Lane, "CreateTimer");
        var timer = new SimulationTimer(context, callback, state, context.Lane.NextTimerId(), traced);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Runs <paramref name="callback"/> under <paramref name="context"/> at virtual time <paramref name="due"/> (ticks), untraced.</summary>
    internal void ScheduleAt(SimulationContext context, long due, TimerCallback callback, object? state)
    {
        AssertCanTouch(context.Lane, "ScheduleAt");
        var timer = new SimulationTimer(context, callback, state, 0, traced: false);
        context.Lane.Enqueue(timer, Math.Max(due, NowOf(context.Lane)));
    }

    internal void Arm(SimulationTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        var lane = timer.Context.Lane;
        AssertCanTouch(lane, "ITimer.Change");
        timer.Version++;
        timer.Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
        if (dueTime == Timeout.InfiniteTimeSpan)
            return;
        long due = NowOf(lane) + Math.Max(0, dueTime.Ticks);
        lane.Enqueue(timer, due);
    }

    internal void Disarm(SimulationTimer timer)
    {
        AssertCanTouch(timer.Context.Lane, "ITimer.Dispose");
        timer.Version++;
    }

    internal void Post(SimulationContext context, SendOrPostCallback callback, object? state)
    {
        var lane = context.Lane;
        if (!ReferenceEquals(_current, lane) && (_inWindow || Environment.CurrentManagedThreadId != _ownerThread))
        {
            _leak ??= $"work for '{context.Name}' was posted from thread {Environment.CurrentManagedThreadId} " +
                $"(thread pool: {Thread.CurrentThread.IsThreadPoolThread}, running lane '{_current?.Name ?? "none"}') instead of the thread running its lane:\n{Environment.StackTrace}";
            throw new SimulationThreadLeakException(_leak);
        }
        lane.Post(context, callback, state);
    }

    internal void ThrowIfLeaked()
    {
        if (_leak is { } leak)
            throw new SimulationThreadLeakException(leak);
    }

    private void AssertBarrier(string what)
    {
        if (Environment.CurrentManagedThreadId == _ownerThread && !_inWindow && _current is null or { Index: -1 })
            return;
        _leak ??= $"{what} was called from thread {Environment.CurrentManagedThreadId} (thread pool: {Thread.CurrentThread.IsThreadPoolThread}) " +
            $"instead of the simulation's coordinating thread {_ownerThread} between windows:\n{Environment.StackTrace}";
        throw new SimulationThreadLeakException(_leak);
    }

    private void RunLoop(long limit)
    {
        while (true)
        {
            RunHarness();
            FlushBetweenWindows(_now);
            long next = long.MaxValue;
            var nextEvents = _nextEvents;
            for (int i = 0; i < _lanes.Count; i++)
            {
                long t = nextEvents[i];
                Debug.Assert(t == _lanes[i].NextEventTime(), "a lane's next event time was not told to the scheduler");
                if (t < next)
                    next = t;
            }
            long harnessNext = HarnessLane.NextEventTime();
            if (Math.Min(next, harnessNext) > limit)
                break;
            if (harnessNext <= next)
            {
                // The harness first: at one virtual time it runs before the lanes.
                if (harnessNext > _now)
                    Volatile.Write(ref _now, harnessNext);
                continue;
            }
            long start = Math.Max(_now, next);
            long end = Math.Min(Math.Min(start + _lookahead, harnessNext), limit + 1);
            Volatile.Write(ref _now, start);
            int ran = RunWindow(start, end);
            // Only the lanes that ran in the window can have sent in it; they are in lane order in _active.
            HarnessLane.FlushOutbox(end);
            for (int i = 0; i < ran; i++)
            {
                _active[i].FlushOutbox(end);
                _active[i] = null!;
            }
            if (_barrierActions)
            {
                _barrierActions = false;
                foreach (var lane in _lanes)
                    lane.RunBarrierActions();
            }
            Volatile.Write(ref _now, Math.Min(end, limit));
            ThrowIfLeaked();
        }
        if (limit > _now)
            Volatile.Write(ref _now, limit);
        ThrowIfLeaked();
    }

    private void RunHarness()
    {
        if (_probeBlocksLeft > 0)
        {
            // The harness's own work (samples, faults) is left out of the probe's blocks: it costs either way the same.
            long start = Stopwatch.GetTimestamp();
            RunHarnessLane();
            _blockHarnessTicks += Stopwatch.GetTimestamp() - start;
        }
        else
        {
            RunHarnessLane();
        }
    }

    private void RunHarnessLane()
    {
        _current = HarnessLane;
        try
        {
            HarnessLane.Now = _now;
            HarnessLane.RunWindow(_now, _now + 1);
        }
        finally
        {
            _current = null;
        }
    }

    private void FlushBetweenWindows(long earliest)
    {
        HarnessLane.FlushOutbox(earliest);
        if (_outboxesBetweenWindows.Count == 0)
            return;
        // In lane order, as every flush (the order the receiving lanes merge in).
        _outboxesBetweenWindows.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        foreach (var lane in _outboxesBetweenWindows)
            lane.FlushOutbox(earliest);
        _outboxesBetweenWindows.Clear();
    }

    /// <summary>Runs the lanes with work before <paramref name="end"/>; returns how many (they stay in <c>_active</c>, in lane order).</summary>
    private int RunWindow(long start, long end)
    {
        if (_active.Length < _lanes.Count)
            _active = new SimulationLane[_lanes.Count * 2];
        int count = 0;
        var nextEvents = _nextEvents;
        for (int i = 0; i < _lanes.Count; i++)
        {
            if (nextEvents[i] < end)
                _active[count++] = _lanes[i];
        }
        if (count == 0)
            return 0;
        Windows++;
        _windowEnd = end;
        _inWindow = true;
        try
        {
            if (Workers > 1 && Adaptive)
                ChoosePhase();
            if (count == 1 || Workers <= 1 || _solo)
            {
                if (count > 1 && Workers > 1)
                    SoloWindows++;
                if (HarnessLane.Profile is not null && Workers == 1)
                {
                    long total = 0, longest = 0;
                    for (int i = 0; i < count; i++)
                    {
                        long before = ThreadCpuClock.Now();
                        RunLane(_active[i], start, end);
                        long took = ThreadCpuClock.Now() - before;
                        total += took;
                        longest = Math.Max(longest, took);
                    }
                    _estimateWork += total;
                    _estimateCritical += Math.Max(longest, total / 2.0);
                }
                else
                {
                    for (int i = 0; i < count; i++)
                        RunLane(_active[i], start, end);
                }
            }
            else
            {
                SharedWindows++;
                EnsureWorkers(Workers - 1);
                _windowStart = start;
                Volatile.Write(ref _handoff.Unfinished, count);
                int generation = ++_generation & 0xF_FFFF;
                _generation = generation;
                Interlocked.Exchange(ref _handoff.Ticket, Ticket(generation, 0, count));
                if (Volatile.Read(ref _sleepers) > 0)
                {
                    lock (_gate)
                        Monitor.PulseAll(_gate);
                }
                TakeLanes(generation, front: true);
                var spin = new SpinWait();
                while (Volatile.Read(ref _handoff.Unfinished) > 0)
                    spin.SpinOnce(sleep1Threshold: -1);
                // Close the generation before the lane set changes: a worker still in TakeLanes must not take a lane of
                // a later window that runs without the workers (its ticket would otherwise still be valid).
                Interlocked.Exchange(ref _handoff.Ticket, Ticket(generation, 0, 0));
            }
        }
        finally
        {
            _inWindow = false;
        }
        for (int i = 0; i < count; i++)
        {
            var lane = _active[i];
            if (lane.Failure is { } failure)
            {
                lane.Failure = null;
                ThrowIfLeaked();
                failure.Throw();
            }
        }
        return count;
    }

    private long _windowStart;

    // Odd, so that the harness's samples (every 10 s of virtual time, 500 windows when every window is busy) fall in
    // shared and solo blocks alike.
    private const long ProbeBlock = 53;
    private const int ProbeBlocks = 76;
    private const long RunWindows = 30_000;

    /// <summary>
    /// The adaptive mode: a probe of <see cref="ProbeBlocks"/> blocks of <see cref="ProbeBlock"/> windows, shared and
    /// solo in turn (so both ways see the same mix of work and the same load of other processes), then the faster of
    /// the two for <see cref="RunWindows"/> windows; again. Each way's rate is the work items of its blocks per wall
    /// tick from the start of a block to the start of the next, less the harness's own work. The barriers count: on a
    /// busy machine a spinning worker takes CPU from this process's own share (a cgroup's), and the coordinating thread
    /// runs the barrier slower for it, which timing the windows alone does not show.
    /// </summary>
    private void ChoosePhase()
    {
        if (Windows < _phaseEndsAt)
            return;
        long wall = Stopwatch.GetTimestamp();
        long work = StepsExecuted + TimersFired;
        if (_probeBlocksLeft > 0)
        {
            // The block that ended: its wall time (barriers, the workers' hand-offs and what their spinning takes from
            // this process's share of a busy machine included; the harness's own work left out) and its work items.
            int way = _solo ? 1 : 0;
            _probeWall[way] += wall - _blockStartWall - _blockHarnessTicks;
            _probeWork[way] += work - _blockStartWork;
            if (--_probeBlocksLeft > 0)
            {
                _solo = !_solo;
                _phaseEndsAt = Windows + ProbeBlock;
                StartBlock(wall, work);
                return;
            }
            // Rates compared as work per tick: solo wins when soloWork / soloWall > sharedWork / sharedWall.
            _solo = (double)_probeWork[1] * _probeWall[0] > (double)_probeWork[0] * _probeWall[1];
            _phaseEndsAt = Windows + RunWindows;
            return;
        }
        Array.Clear(_probeWall);
        Array.Clear(_probeWork);
        _probeBlocksLeft = ProbeBlocks;
        _solo = false;
        _phaseEndsAt = Windows + ProbeBlock;
        StartBlock(wall, work);
    }

    private void StartBlock(long wall, long work)
    {
        _blockStartWall = wall;
        _blockStartWork = work;
        _blockHarnessTicks = 0;
    }

    /// <summary>
    /// What the threads of a shared window write to (each lane taken, each lane finished), on cache lines of its own:
    /// next to the fields every lane reads (the window's end, the leak flag) each write would cost the other core a miss.
    /// </summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 192)]
    private struct Handoff
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Ticket;

        [System.Runtime.InteropServices.FieldOffset(128)]
        public int Unfinished;
    }

    private static long Ticket(int generation, int front, int end) =>
        ((long)generation << GenerationShift) | ((long)front << FrontShift) | (uint)end;

    private static int GenerationOf(long ticket) => (int)((ulong)ticket >> GenerationShift);

    private void TakeLanes(int generation, bool front)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _handoff.Ticket);
            if (GenerationOf(ticket) != generation)
                return;
            int first = (int)((ticket >> FrontShift) & IndexMask);
            int end = (int)(ticket & IndexMask);
            if (first >= end)
                return;
            int index = front ? first : end - 1;
            long taken = front ? Ticket(generation, first + 1, end) : Ticket(generation, first, end - 1);
            if (Interlocked.CompareExchange(ref _handoff.Ticket, taken, ticket) != ticket)
                continue;
            RunLane(_active[index], _windowStart, _windowEnd);
            Interlocked.Decrement(ref _handoff.Unfinished);
        }
    }

    private static void RunLane(SimulationLane lane, long start, long end)
    {
        int thread = Environment.CurrentManagedThreadId;
        int other = Interlocked.CompareExchange(ref lane.Runner, thread, 0);
        if (other != 0)
        {
            // Two threads on one lane would corrupt it silently: fail loudly (a defect of the scheduler itself).
            lane.Failure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(
                new InvalidOperationException($"Lane '{lane.Name}' was taken by thread {thread} while thread {other} ran it."));
            return;
        }
        _current = lane;
        try
        {
            lane.RunWindow(start, end);
        }
        catch (Exception ex)
        {
            lane.Failure ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _current = null;
            Volatile.Write(ref lane.Runner, 0);
        }
    }

    private void EnsureWorkers(int wanted)
    {
        if (Volatile.Read(ref _workerThreads) >= wanted)
            return;
        lock (_gate)
        {
            while (_workerThreads < wanted)
            {
                _workerThreads++;
                int seen = _generation;
                var thread = new Thread(() => WorkerLoop(seen)) { IsBackground = true, Name = "simulation worker" };
                thread.Start();
            }
        }
    }

    private void WorkerLoop(int seen)
    {
        while (true)
        {
            long spinStart = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            int generation;
            while ((generation = GenerationOf(Volatile.Read(ref _handoff.Ticket))) == seen)
            {
                if (Stopwatch.GetElapsedTime(spinStart) < SpinBeforeSleep)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    try
                    {
                        while (GenerationOf(Volatile.Read(ref _handoff.Ticket)) == seen)
                        {
                            if (!Monitor.Wait(_gate, IdleExit) && GenerationOf(Volatile.Read(ref _handoff.Ticket)) == seen)
                            {
                                // Idle for long (the run ended or the harness is busy): the thread ends; the next window starts another.
                                _workerThreads--;
                                return;
                            }
                        }
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
                spinStart = Stopwatch.GetTimestamp();
            }
            seen = generation;
            TakeLanes(generation, front: false);
        }
    }
}
