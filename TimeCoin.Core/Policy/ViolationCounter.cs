using System.Net;
using System.Text.Json.Serialization;

namespace TimeCoin.Core.Policy;

/// <summary>The violation score of one address, as kept by the policy and stored in snapshots.</summary>
/// <param name="Address">The (normalized) address.</param>
/// <param name="Score">Sum of violation weights since the last reset.</param>
/// <param name="LastViolationAt">When the last violation was recorded; the score resets after a quiet period.</param>
public sealed record ViolationCounter(
    [property: JsonConverter(typeof(IpAddressJsonConverter))] IPAddress Address,
    int Score,
    DateTimeOffset LastViolationAt);
