namespace TimeCoin.Core.Policy;

/// <summary>What to do with one message under the rate limits (<see cref="PeerPolicy.CheckRate(System.Net.IPAddress, string, string)"/>).</summary>
public enum RateLimitVerdict
{
    /// <summary>Within the limit (or the peer is exempt): handle it.</summary>
    Allowed,

    /// <summary>Above the limit: drop it silently; its window was already scored.</summary>
    Dropped,

    /// <summary>Above the limit: drop it and record one <see cref="ViolationKind.RateLimitExceeded"/> (the first excess of its window).</summary>
    DroppedAndScored,
}
