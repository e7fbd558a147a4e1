using System.Globalization;

namespace TimeCoin.Simulation.Scenarios;

/// <summary>
/// <c>run &lt;scenario&gt; [--seed N] [--hours H] [--nodes N] [--producers N] [--workers N] [--ci]</c>: runs a scenario
/// and prints its report; exit code 1 when a threshold failed (the report then ends with the replay command).
/// </summary>
public static class ScenarioCommand
{
    /// <summary>Parses <paramref name="args"/>, runs, prints; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length < 2 || args[0] != "run")
        {
            output.WriteLine("usage: run <scenario|all> [--seed N] [--hours H] [--nodes N] [--producers N] [--workers N] [--ci]");
            output.WriteLine("  --workers N: threads that run the hosts in parallel (default: one per processor; 1: one thread). The run and its trace hash are the same for any N.");
            foreach (var (name, description) in ScenarioRunner.Descriptions)
                output.WriteLine($"  {name}: {description}");
            return 2;
        }
        int seed = 1;
        bool ci = args.Contains("--ci");
        double? hours = null;
        int? nodes = null;
        int? producers = null;
        int? workers = null;
        for (int i = 2; i < args.Length - 1; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i] != "--ci" && !args[i + 1].All(ch => char.IsDigit(ch) || ch == '.'))
            {
                output.WriteLine($"{args[i]}: '{args[i + 1]}' is not a number");
                return 2;
            }
            switch (args[i])
            {
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--hours": hours = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--nodes": nodes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--producers": producers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            }
        }
        var settings = ci ? ScenarioSettings.Ci(seed) : ScenarioSettings.Full(seed);
        settings = settings with
        {
            Hours = hours ?? settings.Hours,
            Nodes = nodes ?? settings.Nodes,
            Producers = producers ?? Math.Min(settings.Producers, nodes ?? settings.Nodes),
            Workers = workers,
        };
        if (workers is < 1)
        {
            output.WriteLine("--workers: at least 1");
            return 2;
        }
        var names = args[1] == "all" ? ScenarioRunner.Descriptions.Keys.ToArray() : [args[1]];
        int exit = 0;
        bool profiling = Environment.GetEnvironmentVariable("SIM_PROFILE") == "1";
        long exceptions = 0;
        if (profiling)
            AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        foreach (var name in names)
        {
            var before = RuntimeCounters.Take(Interlocked.Read(ref exceptions));
            var report = ScenarioRunner.Run(name, settings);
            output.WriteLine(report.ToString());
            if (ScenarioRunner.LastProfile is { } profile)
                foreach (var (what, ticks) in profile.OrderByDescending(p => p.Value).Take(25))
                    output.WriteLine($"   {TimeSpan.FromTicks(ticks).TotalMilliseconds,10:0} ms  {what}");
            if (profiling)
                output.WriteLine("   runtime: " + RuntimeCounters.Take(Interlocked.Read(ref exceptions)).Since(before));
            if (!report.Passed)
                exit = 1;
        }
        return exit;
    }

    /// <summary>Process-wide runtime counters (SIM_PROFILE=1): what a run cost beyond its own work items.</summary>
    private readonly record struct RuntimeCounters(int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long Allocated, long LockContentions, long Exceptions)
    {
        public static RuntimeCounters Take(long exceptions) => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(), Monitor.LockContentionCount, exceptions);

        public string Since(RuntimeCounters before) => string.Create(CultureInfo.InvariantCulture,
            $"GC {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2} (gen0/1/2), paused {(GcPause - before.GcPause).TotalMilliseconds:0} ms, " +
            $"allocated {(Allocated - before.Allocated) / (1024 * 1024)} MiB, lock contentions {LockContentions - before.LockContentions}, exceptions thrown {Exceptions - before.Exceptions}");
    }
}
