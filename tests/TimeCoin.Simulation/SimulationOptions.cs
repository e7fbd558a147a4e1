using TimeCoin.Core.Liveness;
using TimeCoin.Simulation.Networking;

namespace TimeCoin.Simulation;

/// <summary>The shape of one simulated network: how many nodes of which kind, their links, their liveness limits.</summary>
public sealed record SimulationOptions
{
    /// <summary>The run's seed: every random choice (keys, genesis time, nonces, jitter, loss, faults) derives from it.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Masternodes (each announces itself and sends signed heartbeats).</summary>
    public int Masternodes { get; init; } = 100;

    /// <summary>How many of the masternodes hold a federation (block producer) key.</summary>
    public int Producers { get; init; } = 20;

    /// <summary>Ordinary nodes (not masternodes, not whitelisted by anyone).</summary>
    public int OrdinaryNodes { get; init; } = 2;

    /// <summary>Seconds per block.</summary>
    public int BlockTimeSeconds { get; init; } = 10;

    /// <summary>Outbound connections each node keeps to ordinary (not whitelisted, not masternode) addresses.</summary>
    public int TargetOutbound { get; init; } = 8;

    /// <summary>Bootstrap peers in each node's config (drawn from the masternodes).</summary>
    public int BootstrapPeers { get; init; } = 4;

    /// <summary>
    /// Whitelist lines in every node's config, as an operator sets them. Default: the masternodes' subnet (the
    /// operator lists the masternodes' addresses), plus masternodes from signed announcements when
    /// <see cref="AutoWhitelistMasternodes"/>.
    /// </summary>
    public IReadOnlyList<string>? Whitelist { get; init; }

    /// <summary>Whitelist masternodes from their signed announcements.</summary>
    public bool AutoWhitelistMasternodes { get; init; } = true;

    /// <summary>Liveness limits every node uses (default: the node's defaults).</summary>
    public PingOptions Ping { get; init; } = PingOptions.Default;

    /// <summary>Link properties between two hosts (default: 50 ms, no jitter, no loss).</summary>
    public Func<System.Net.IPAddress, System.Net.IPAddress, LinkProfile>? Links { get; init; }

    /// <summary>Maximum reorg depth of the chain (null: the chain's default).</summary>
    public int? MaxReorgDepth { get; init; }

    /// <summary>Largest random clock skew per node (uniform in ±this), within the validation tolerance.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the harness samples heights, disconnects and pongs.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Samples before this much time are not counted in the steady-state figures.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Blocks already on the chain when the run starts (scenario h): the genesis lies that many slots in the past and
    /// every masternode's store holds the chain, except those in <see cref="StartEmpty"/>.
    /// </summary>
    public int PrebuiltBlocks { get; init; }

    /// <summary>
    /// Worker threads that run the hosts' lanes within a window (null: <see cref="Environment.ProcessorCount"/>; 1: the
    /// calling thread alone). The run, its trace hash included, is the same for any number.
    /// </summary>
    public int? Workers { get; init; }

    /// <summary>Nodes whose store starts empty although <see cref="PrebuiltBlocks"/> is set.</summary>
    public IReadOnlySet<int> StartEmpty { get; init; } = new HashSet<int>();
}
