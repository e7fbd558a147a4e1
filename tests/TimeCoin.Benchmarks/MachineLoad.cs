namespace TimeCoin.Benchmarks;

/// <summary>The machine's load average (Linux <c>/proc/loadavg</c>), printed beside every figure: the machine is shared.</summary>
public static class MachineLoad
{
    /// <summary>"1-min 5-min 15-min" load averages, or "n/a" where /proc/loadavg does not exist.</summary>
    public static string Describe()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
