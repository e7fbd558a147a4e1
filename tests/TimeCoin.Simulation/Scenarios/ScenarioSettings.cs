namespace TimeCoin.Simulation.Scenarios;

/// <summary>How long and how big a scenario runs: the full lengths of the issue, or a CI length.</summary>
/// <param name="Seed">The run's seed.</param>
/// <param name="Hours">Simulated hours of the main phase.</param>
/// <param name="Nodes">Masternodes.</param>
/// <param name="Producers">Federation producers among them.</param>
public sealed record ScenarioSettings(int Seed, double Hours, int Nodes, int Producers)
{
    /// <summary>Worker threads of the scheduler (null: one per processor); the outcome and the trace hash do not depend on it.</summary>
    public int? Workers { get; init; }

    /// <summary>The lengths: 100 masternodes, 20 producers, 24 h.</summary>
    public static ScenarioSettings Full(int seed) => new(seed, 24, 100, 20);

    /// <summary>
    /// The CI length: 24 masternodes (6 producers) and 1 h main phase, so the whole suite fits in minutes on two cores
    /// (about 85 s of CPU for a-h, and (i) beside them; the default network of 100 does not fit, see docs/simulation.md "Speed").
    /// </summary>
    public static ScenarioSettings Ci(int seed) => new(seed, 1, 24, 6);
}
