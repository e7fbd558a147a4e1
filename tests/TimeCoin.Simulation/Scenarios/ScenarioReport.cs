using System.Globalization;
using System.Text;

namespace TimeCoin.Simulation.Scenarios;

/// <summary>The figures of one scenario run (the issue's report table) and the thresholds it failed.</summary>
public sealed class ScenarioReport
{
    /// <summary>Scenario name (a to i).</summary>
    public required string Scenario { get; init; }

    /// <summary>What the scenario does.</summary>
    public required string Description { get; init; }

    /// <summary>The settings it ran with.</summary>
    public required ScenarioSettings Settings { get; init; }

    /// <summary>Whitelisted disconnects (duplicates excluded) by reason kind.</summary>
    public Dictionary<string, int> WhitelistedDisconnects { get; init; } = [];

    /// <summary>Missed pongs of whitelisted peers whose link delivers within the lenient limits.</summary>
    public long WhitelistedMissedPongs { get; init; }

    /// <summary>Sync lag percentiles (blocks) over the counted samples.</summary>
    public (long P50, long P99, long Max) SyncLag { get; init; }

    /// <summary>Largest height spread at any sample, and after warm-up (outside excluded windows).</summary>
    public (long Max, long AfterWarmUp) Spread { get; init; }

    /// <summary>Catch-up rate of a rejoining or new node, blocks per simulated minute (null: not measured).</summary>
    public double? CatchUpBlocksPerMinute { get; init; }

    /// <summary>Time from the fault's end to every node on one tip (null: not measured; <see cref="TimeSpan.MaxValue"/>: never).</summary>
    public TimeSpan? ForkResolution { get; init; }

    /// <summary>Messages per node-hour.</summary>
    public double MessagesPerNodeHour { get; init; }

    /// <summary>Bytes per node-hour.</summary>
    public double BytesPerNodeHour { get; init; }

    /// <summary>Simulated node-hours per wall second.</summary>
    public double NodeHoursPerWallSecond { get; init; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>CPU time of the run (user + system; steadier than the wall time on a shared machine).</summary>
    public TimeSpan CpuTime { get; init; }

    /// <summary>The trace hash at the end of the run.</summary>
    public required string TraceHash { get; init; }

    /// <summary>Messages and bytes per node-hour by message type, most bytes first.</summary>
    public List<(string Type, double MessagesPerNodeHour, double BytesPerNodeHour)> Traffic { get; } = [];

    /// <summary>Scenario-specific figures.</summary>
    public List<(string Name, string Value)> Extra { get; } = [];

    /// <summary>Thresholds that failed and invariant violations; empty when the scenario passed.</summary>
    public List<string> Failures { get; } = [];

    /// <summary>True when nothing failed.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>The one-line command that replays this run.</summary>
    public string ReplayCommand => NetworkSimulation.ReplayCommand(Scenario, Settings.Seed, Settings.Hours, Settings.Nodes, Settings.Producers);

    /// <summary>The report table.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"== scenario {Scenario}: {Description}");
        sb.AppendLine(c, $"   seed {Settings.Seed}, {Settings.Nodes} masternodes ({Settings.Producers} producers), {Settings.Hours} simulated h");
        void Row(string name, string value) => sb.AppendLine(c, $"   {name,-44} {value}");
        Row("whitelisted disconnects", WhitelistedDisconnects.Count == 0 ? "0" :
            $"{WhitelistedDisconnects.Values.Sum()} (" + string.Join(", ", WhitelistedDisconnects.OrderByDescending(p => p.Value).Select(p => $"{p.Key}: {p.Value}")) + ")");
        Row("missed pongs of whitelisted peers", WhitelistedMissedPongs.ToString(c));
        Row("sync lag p50 / p99 / max (blocks)", $"{SyncLag.P50} / {SyncLag.P99} / {SyncLag.Max}");
        Row("height spread max / after warm-up", $"{Spread.Max} / {Spread.AfterWarmUp}");
        Row("catch-up (blocks/min)", CatchUpBlocksPerMinute is { } rate ? rate.ToString("0", c) : "-");
        Row("fork resolution", ForkResolution is { } fr ? fr == TimeSpan.MaxValue ? "never" : $"{fr.TotalSeconds:0.0} s" : "-");
        Row("messages / bytes per node-hour", $"{MessagesPerNodeHour:0} / {BytesPerNodeHour / 1024:0} KiB");
        foreach (var (type, messages, bytes) in Traffic)
            Row($"  {type} per node-hour", $"{messages:0} messages / {bytes / 1024:0} KiB");
        Row("simulated node-hours per wall second", NodeHoursPerWallSecond.ToString("0.00", c));
        Row("wall time / CPU time", $"{WallTime.TotalSeconds:0.0} s / {CpuTime.TotalSeconds:0.0} s");
        foreach (var (name, value) in Extra)
            Row(name, value);
        Row("trace hash", TraceHash);
        sb.AppendLine(c, $"   result: {(Passed ? "PASS" : "FAIL")}");
        foreach (var failure in Failures)
            sb.AppendLine(c, $"   - {failure}");
        if (!Passed)
            sb.AppendLine(c, $"   replay: {ReplayCommand}");
        return sb.ToString();
    }
}
