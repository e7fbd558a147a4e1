using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// The CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), in <see cref="Stopwatch"/> ticks; the
/// wall clock elsewhere. Diagnostics only (SIM_PROFILE=1): a lane's CPU time does not grow while the machine's other
/// processes hold the core, so the parallel estimate is not distorted by a busy machine.
/// </summary>
internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;
    private static readonly bool Available = OperatingSystem.IsLinux() && TryRead(out _);

    /// <summary>Now, in <see cref="Stopwatch"/> ticks.</summary>
    public static long Now() => Available && TryRead(out long ticks) ? ticks : Stopwatch.GetTimestamp();

    private static bool TryRead(out long ticks)
    {
        ticks = 0;
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var spec) != 0)
                return false;
            ticks = (long)((spec.Seconds * 1_000_000_000.0 + spec.Nanoseconds) * Stopwatch.Frequency / 1_000_000_000.0);
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project; one diagnostic call
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec spec);
#pragma warning restore SYSLIB1054
}
