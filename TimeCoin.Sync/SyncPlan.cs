namespace TimeCoin.Sync;

/// <summary>What the coordinator should do now. Every list may be empty.</summary>
/// <param name="HeaderRequests">Locators to send (catch-up headers and fork-ancestor searches).</param>
/// <param name="BlockRequests">Blocks to request, at most the per-peer bound in flight and inside the window.</param>
/// <param name="Stalls">Requests taken from peers that stalled (already reassigned in <paramref name="BlockRequests"/> when possible).</param>
/// <param name="Misbehaviours">Violations for the peer policy to record.</param>
/// <param name="BranchValidations">Fork branches whose blocks all arrived and must now be validated.</param>
/// <param name="ForkSwitches">Validated branches that fork choice prefers: reorganise onto them.</param>
public sealed record SyncPlan(
    IReadOnlyList<HeaderRequest> HeaderRequests,
    IReadOnlyList<BlockRequest> BlockRequests,
    IReadOnlyList<StalledRequest> Stalls,
    IReadOnlyList<PeerMisbehaviour> Misbehaviours,
    IReadOnlyList<BranchValidationRequest> BranchValidations,
    IReadOnlyList<ForkSwitch> ForkSwitches);
