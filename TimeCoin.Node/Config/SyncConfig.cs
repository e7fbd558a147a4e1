namespace TimeCoin.Node.Config;

/// <summary>The <c>[sync]</c> section: the continuous sync coordinator.</summary>
public sealed record SyncConfig
{
    /// <summary><c>enabled</c>: run the sync coordinator. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>lag_warning_blocks</c>: blocks behind the best peer above which the `sync_lag` warning is raised. Default 50 (the analysis' suggestion: far above the few blocks of normal propagation, far below a stuck node).</summary>
    public int LagWarningBlocks { get; init; } = 50;

    /// <summary><c>lag_grace_secs</c>: seconds a lag must last before it is reported (a new block is not a lag). Default 120.</summary>
    public int LagGraceSecs { get; init; } = 120;

    /// <summary><c>interval_secs</c>: seconds between two sync rounds when nothing else triggers one. Default 60.</summary>
    public int IntervalSecs { get; init; } = 60;
}
