using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Sync;

namespace TimeCoin.Node.Sync;

/// <summary>The sync planner's read-only view (<see cref="IChainView"/>) of the node's active chain in a <see cref="ChainState"/>.</summary>
public sealed class ChainStateView : IChainView
{
    private readonly ChainState _state;

    /// <summary>Creates a view over <paramref name="state"/>.</summary>
    public ChainStateView(ChainState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _state = state;
    }

    /// <inheritdoc />
    public Hash256 TipHash => _state.TipHash;

    /// <inheritdoc />
    public long Height => _state.Height;

    /// <inheritdoc />
    public int MaxReorgDepth => _state.Parameters.MaxReorgDepth;

    /// <inheritdoc />
    public bool TryGetHeight(Hash256 hash, out long height)
    {
        var header = _state.GetHeader(hash);
        if (header is not null && _state.GetHashAtHeight(header.Height) == hash)
        {
            height = header.Height;
            return true;
        }
        height = -1;
        return false;
    }

    /// <inheritdoc />
    public Hash256? HashAtHeight(long height) => _state.GetHashAtHeight(height);

    /// <inheritdoc />
    public IReadOnlyList<Hash256> GetLocator() => _state.GetLocator();
}
