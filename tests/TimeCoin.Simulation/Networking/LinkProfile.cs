namespace TimeCoin.Simulation.Networking;

/// <summary>
/// One direction of a link between two hosts: one-way latency (base plus a uniform jitter), bandwidth, and the
/// probability that a TCP segment is lost (a loss delays that segment and everything behind it on the connection by a
/// retransmission timeout, 200 ms doubling up to 60 s while the retransmission is lost too).
/// </summary>
public sealed record LinkProfile
{
    /// <summary>Fixed one-way delay.</summary>
    public TimeSpan BaseLatency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Extra one-way delay drawn uniformly from [0, Jitter] per message.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Bytes per second the sender can put on the link.</summary>
    public double BytesPerSecond { get; init; } = 12_500_000; // 100 Mbit/s

    /// <summary>Probability that one TCP segment (up to <see cref="SegmentSize"/> bytes) is lost.</summary>
    public double SegmentLoss { get; init; }

    /// <summary>Bytes per TCP segment.</summary>
    public int SegmentSize { get; init; } = 1460;

    /// <summary>A link with no delay beyond its base latency, no loss.</summary>
    public static LinkProfile Default { get; } = new();
}
