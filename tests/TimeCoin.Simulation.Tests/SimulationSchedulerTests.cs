using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Tests;

public class SimulationSchedulerTests
{
    private static SimulationScheduler NewScheduler() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new TraceHash());

    [Fact]
    public void RunUntil_TimersWithDueTimes_FireInDueOrderThenCreationOrderAtVirtualTimes()
    {
        var scheduler = NewScheduler();
        var clock = scheduler.CreateClock(scheduler.CreateContext("n"));
        var fired = new List<(string Name, TimeSpan At)>();
        clock.CreateTimer(_ => fired.Add(("late", scheduler.Elapsed)), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        clock.CreateTimer(_ => fired.Add(("early-1", scheduler.Elapsed)), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        clock.CreateTimer(_ => fired.Add(("early-2", scheduler.Elapsed)), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        var wall = System.Diagnostics.Stopwatch.StartNew();
        scheduler.RunUntil(TimeSpan.FromHours(1));

        Assert.Equal([("early-1", TimeSpan.FromSeconds(5)), ("early-2", TimeSpan.FromSeconds(5)), ("late", TimeSpan.FromSeconds(10))], fired);
        Assert.Equal(TimeSpan.FromHours(1), scheduler.Elapsed);
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(5), "virtual time must not wait on the wall clock");
    }

    [Fact]
    public void RunUntil_AsyncMethodWithDelays_ContinuesOnTheSimulationThreadInVirtualTime()
    {
        var scheduler = NewScheduler();
        var context = scheduler.CreateContext("n");
        var clock = scheduler.CreateClock(context);
        int thread = Environment.CurrentManagedThreadId;
        var seen = new List<(TimeSpan At, int Thread)>();
        async Task LoopAsync()
        {
            for (int i = 0; i < 3; i++)
            {
                await Task.Delay(TimeSpan.FromSeconds(15), clock);
                seen.Add((scheduler.Elapsed, Environment.CurrentManagedThreadId));
            }
        }
        Task? loop = null;
        context.Post(_ => loop = LoopAsync(), null);

        scheduler.RunUntil(TimeSpan.FromMinutes(1));

        Assert.True(loop!.IsCompletedSuccessfully);
        Assert.Equal([TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45)], seen.Select(s => s.At));
        Assert.All(seen, s => Assert.Equal(thread, s.Thread));
    }

    [Fact]
    public void RunUntil_WorkPostedFromAnotherThread_FailsWithThreadLeak()
    {
        var scheduler = NewScheduler();
        var context = scheduler.CreateContext("n");
        var poster = new Thread(() =>
        {
            try
            {
                context.Post(_ => { }, null);
            }
            catch (SimulationThreadLeakException)
            {
            }
        });
        poster.Start();
        poster.Join();

        var leak = Assert.Throws<SimulationThreadLeakException>(() => scheduler.RunUntil(TimeSpan.FromSeconds(1)));
        Assert.Contains("posted from thread", leak.Message);
    }

    /// <summary>
    /// Hosts run on separate lanes, in parallel within a window: one host's code posting to another host's context
    /// would race with that lane's thread, so it fails the run as a leak (cross-host effects go through the mailbox).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RunUntil_OneLanePostsToAnotherLanesContextWithinAWindow_FailsWithThreadLeak(int workers)
    {
        var scheduler = NewScheduler();
        scheduler.Workers = workers;
        var a = scheduler.CreateContext("a");
        var b = scheduler.CreateContext("b");
        scheduler.CreateClock(a).CreateTimer(_ =>
        {
            try
            {
                b.Post(_ => { }, null);
            }
            catch (SimulationThreadLeakException)
            {
            }
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        var leak = Assert.Throws<SimulationThreadLeakException>(() => scheduler.RunUntil(TimeSpan.FromSeconds(2)));
        Assert.Contains("running lane 'a'", leak.Message);
    }

    /// <summary>Lanes with work in the same window run on the worker threads; each lane's own order and times are kept.</summary>
    [Fact]
    public void RunUntil_ManyLanesTwoWorkers_EachLaneFiresInItsOwnOrderAtItsVirtualTimes()
    {
        var scheduler = NewScheduler();
        scheduler.Workers = 2;
        scheduler.Lookahead = TimeSpan.FromMilliseconds(20);
        var fired = new List<TimeSpan>[16];
        var threads = new HashSet<int>[16];
        for (int i = 0; i < fired.Length; i++)
        {
            var list = fired[i] = [];
            var seen = threads[i] = [];
            var clock = scheduler.CreateClock(scheduler.CreateContext($"n{i}"));
            clock.CreateTimer(_ =>
            {
                list.Add(scheduler.Elapsed);
                lock (seen)
                    seen.Add(Environment.CurrentManagedThreadId);
                Thread.SpinWait(2000);
            }, null, TimeSpan.FromMilliseconds(5 + i), TimeSpan.FromMilliseconds(10));
        }

        scheduler.RunUntil(TimeSpan.FromSeconds(1));

        for (int i = 0; i < fired.Length; i++)
        {
            var expected = Enumerable.Range(0, 100).Select(k => TimeSpan.FromMilliseconds(5 + i + 10 * k)).Where(t => t <= TimeSpan.FromSeconds(1)).ToList();
            Assert.Equal(expected, fired[i]);
        }
        Assert.Equal(TimeSpan.FromSeconds(1), scheduler.Elapsed);
        Assert.True(scheduler.SharedWindows > 0, "windows with several busy lanes were shared by the workers");
    }

    /// <summary>
    /// Work the harness gives an idle lane between windows (a post, a timer) runs at its time: the scheduler learns of
    /// it when it is queued, not by asking every lane at every barrier.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RunUntil_HarnessQueuesWorkOnIdleLanes_TheLanesRunItAtItsTime(int workers)
    {
        var scheduler = NewScheduler();
        scheduler.Workers = workers;
        scheduler.Lookahead = TimeSpan.FromMilliseconds(20);
        var posted = scheduler.CreateContext("posted");
        var timed = scheduler.CreateContext("timed");
        var timedClock = scheduler.CreateClock(timed);
        var ran = new List<(string What, TimeSpan At)>();
        scheduler.Schedule(scheduler.Harness, TimeSpan.FromSeconds(1), () =>
        {
            posted.Post(_ => ran.Add(("posted", scheduler.Elapsed)), null);
            timedClock.CreateTimer(_ => ran.Add(("timer", scheduler.Elapsed)), null, TimeSpan.FromMilliseconds(50), Timeout.InfiniteTimeSpan);
        });

        scheduler.RunUntil(TimeSpan.FromSeconds(2));

        Assert.Equal([("posted", TimeSpan.FromSeconds(1)), ("timer", TimeSpan.FromMilliseconds(1050))], ran);
    }

    [Fact]
    public void RunUntil_KilledContext_DropsItsQueuedWorkAndTimers()
    {
        var scheduler = NewScheduler();
        var dead = scheduler.CreateContext("dead");
        var alive = scheduler.CreateContext("alive");
        var ran = new List<string>();
        dead.Post(_ => ran.Add("dead work"), null);
        scheduler.CreateClock(dead).CreateTimer(_ => ran.Add("dead timer"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        scheduler.CreateClock(alive).CreateTimer(_ => ran.Add("alive timer"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        dead.Kill();
        scheduler.RunUntil(TimeSpan.FromSeconds(2));

        Assert.Equal(["alive timer"], ran);
    }

    [Fact]
    public void CreateTimer_PeriodicAndChanged_FiresOnItsPeriodAndStopsWhenDisposed()
    {
        var scheduler = NewScheduler();
        var clock = scheduler.CreateClock(scheduler.CreateContext("n"));
        var fired = new List<TimeSpan>();
        var timer = clock.CreateTimer(_ => fired.Add(scheduler.Elapsed), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        scheduler.RunUntil(TimeSpan.FromSeconds(35));
        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        scheduler.RunUntil(TimeSpan.FromSeconds(60));
        timer.Dispose();

        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(36)], fired);
    }
}
