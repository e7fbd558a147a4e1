using TimeCoin.Core.Chain;

namespace TimeCoin.Node.Production;

/// <summary>
/// The "now" a node validates incoming blocks with. On every network it is the wall clock, except on a devnet,
/// where it is <c>max(wall clock, tip timestamp)</c>: devnet <c>generate</c> fills slots faster than real time, so
/// its blocks run ahead of the wall clock, and a devnet peer that syncs them in order must still accept each one
/// (every generated block is one slot after its parent, which is within the future tolerance of the parent's time).
/// A block more than the tolerance ahead of our own tip is still refused, so this never opens the door to
/// arbitrary future blocks; mainnet and testnet keep the strict wall-clock rule.
/// </summary>
public static class ChainValidationClock
{
    /// <summary>The validation time for a block offered to <paramref name="state"/> at wall time <paramref name="wallClock"/>.</summary>
    public static DateTimeOffset For(ChainState state, DateTimeOffset wallClock)
    {
        ArgumentNullException.ThrowIfNull(state);
        return For(state.Parameters, state.Tip, wallClock);
    }

    /// <summary>The validation time for a block whose parent is <paramref name="parent"/> (a side branch's blocks are
    /// checked against their own parent, not our tip).</summary>
    public static DateTimeOffset For(ChainParameters parameters, BlockHeader parent, DateTimeOffset wallClock)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parent);
        if (parameters.NetworkMagic != ChainParameters.DevnetMagic)
            return wallClock;
        var parentTime = DateTimeOffset.FromUnixTimeSeconds(parent.Timestamp);
        return parentTime > wallClock ? parentTime : wallClock;
    }
}
