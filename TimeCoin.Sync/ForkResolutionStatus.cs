namespace TimeCoin.Sync;

/// <summary>A snapshot of one fork resolution, for RPC.</summary>
/// <param name="PeerId">The divergent peer.</param>
/// <param name="State">Current state.</param>
/// <param name="AncestorHeight">Height of the common ancestor once found.</param>
/// <param name="BranchLength">Number of branch headers known beyond the ancestor.</param>
/// <param name="RoundTrips">Header round trips spent finding the ancestor in the current attempt.</param>
/// <param name="FailedAttempts">Attempts that failed so far (timeouts, failed requests, broken replies).</param>
/// <param name="LastError">Why the last attempt failed or why resolution stopped; null when nothing went wrong.</param>
/// <param name="Outcome">Why resolution ended in Switch or Keep; null otherwise.</param>
/// <param name="RetryAllowedAt">When <see cref="ForkResolutionState.GaveUp"/>: the moment a new attempt is allowed.</param>
public sealed record ForkResolutionStatus(
    string PeerId,
    ForkResolutionState State,
    long? AncestorHeight,
    int BranchLength,
    int RoundTrips,
    int FailedAttempts,
    string? LastError,
    string? Outcome,
    DateTimeOffset? RetryAllowedAt);
