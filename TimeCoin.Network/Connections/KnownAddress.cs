using System.Net;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>One dialable address and its reconnection state. Guarded by the manager's lock.</summary>
internal sealed class KnownAddress(IPEndPoint endPoint, AddressSource source, DateTimeOffset added, long sequence, ulong rank)
{
    /// <summary>Oldest first (by the time added, then by the order added): the order in which gossiped entries are pushed out.</summary>
    public static IComparer<KnownAddress> ByAge { get; } = Comparer<KnownAddress>.Create((a, b) =>
    {
        int byTime = a.AddedAt.CompareTo(b.AddedAt);
        return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
    });

    public IPEndPoint EndPoint { get; } = endPoint;

    public AddressSource Source { get; set; } = source;

    public DateTimeOffset AddedAt { get; } = added;

    /// <summary>Order of addition (ties of <see cref="AddedAt"/>).</summary>
    public long Sequence { get; } = sequence;

    /// <summary>Our stable dial rank of this address (<see cref="DialSetSelector.Rank(ReadOnlySpan{byte}, IPEndPoint)"/>), computed once.</summary>
    public ulong Rank { get; } = rank;

    public int Failures { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; } = added;

    /// <summary>A dial or a connection from this address is in progress; cleared when it ends, whatever happened.</summary>
    public bool Busy { get; set; }

    public PublicKey? NodeId { get; set; }

    public DateTimeOffset? LastConnectedAt { get; set; }

    public string? LastError { get; set; }
}
