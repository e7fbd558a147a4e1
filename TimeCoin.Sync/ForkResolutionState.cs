namespace TimeCoin.Sync;

/// <summary>Where a fork resolution stands.</summary>
public enum ForkResolutionState
{
    /// <summary>The peer's tip is not in our chain; nothing sent yet.</summary>
    Detected,

    /// <summary>Locator sent; waiting for the headers that reveal the common ancestor.</summary>
    FindingAncestor,

    /// <summary>Ancestor known; fetching the branch headers and blocks.</summary>
    FetchingBranch,

    /// <summary>All branch blocks arrived; waiting for the caller to validate them.</summary>
    Validating,

    /// <summary>Fork choice prefers the branch; the caller reorganises onto it.</summary>
    Switch,

    /// <summary>We keep our chain (the branch is not preferred, or the peer's chain is not a fork after all).</summary>
    Keep,

    /// <summary>Resolution failed (depth limit, retries exhausted, invalid branch); retry allowed after the give-up timeout.</summary>
    GaveUp,
}
