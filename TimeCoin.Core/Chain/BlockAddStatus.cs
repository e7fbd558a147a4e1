namespace TimeCoin.Core.Chain;

/// <summary>What <see cref="ChainState.TryAdd"/> did with a block.</summary>
public enum BlockAddStatus
{
    /// <summary>The block broke a rule (<see cref="BlockAddResult.Reason"/> says which); nothing was stored.</summary>
    Rejected,

    /// <summary>The block was already in the tree; nothing changed.</summary>
    AlreadyKnown,

    /// <summary>The block's parent is unknown; nothing was stored. Fetch the missing ancestors (with a locator)
    /// and offer the block again.</summary>
    Orphan,

    /// <summary>The block was stored on a branch that does not win fork choice; the active chain did not change.</summary>
    SideBranch,

    /// <summary>The block extends the active chain and is the new tip.</summary>
    Extended,

    /// <summary>The block's branch now wins fork choice: <see cref="BlockAddResult.Disconnected"/> left the active chain
    /// and <see cref="BlockAddResult.Connected"/> joined it.</summary>
    Reorganized,
}
