using System.Net;
using System.Runtime.CompilerServices;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>One dialable address and its reconnection state. Guarded by the manager's lock.</summary>
/// <remarks>
/// Each change of <see cref="Source"/>, <see cref="NextAttemptAt"/> or <see cref="Busy"/> (what decides whether the
/// address is a dial candidate) counts up <c>bookVersion</c>, shared by the manager's book, so the dial round can tell
/// that nothing changed since its last pass without a scan.
/// </remarks>
internal sealed class KnownAddress(IPEndPoint endPoint, AddressSource source, DateTimeOffset added, long sequence, ulong rank, StrongBox<long> bookVersion)
{
    /// <summary>
    /// The order in which gossiped entries are pushed out of a full book: those that never gave us a connection first,
    /// then oldest first (by the time added, then by the order added). An entry's place changes only when it first
    /// connects; <see cref="ConnectionManager"/> moves it then.
    /// </summary>
    public static IComparer<KnownAddress> ByEviction { get; } = Comparer<KnownAddress>.Create((a, b) =>
    {
        int byProof = (a.LastConnectedAt is not null).CompareTo(b.LastConnectedAt is not null);
        if (byProof != 0)
            return byProof;
        int byTime = a.AddedAt.CompareTo(b.AddedAt);
        return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
    });

    public IPEndPoint EndPoint { get; } = endPoint;

    public AddressSource Source
    {
        get;
        set => Change(ref field, value);
    } = source;

    public DateTimeOffset AddedAt { get; } = added;

    /// <summary>Order of addition (ties of <see cref="AddedAt"/>).</summary>
    public long Sequence { get; } = sequence;

    /// <summary>Our stable dial rank of this address (<see cref="DialSetSelector.Rank(ReadOnlySpan{byte}, IPEndPoint)"/>), computed once.</summary>
    public ulong Rank { get; } = rank;

    public int Failures { get; set; }

    public DateTimeOffset NextAttemptAt
    {
        get;
        set => Change(ref field, value);
    } = added;

    /// <summary>A dial or a connection from this address is in progress; cleared when it ends, whatever happened.</summary>
    public bool Busy
    {
        get;
        set => Change(ref field, value);
    }

    /// <summary>
    /// When our handshaken outbound connection to this address ended, while it counts as a lost peer (see
    /// <see cref="ConnectionManagerOptions.LostPeerRedialSlots"/>); null otherwise.
    /// </summary>
    public DateTimeOffset? LostAt
    {
        get;
        set => Change(ref field, value);
    }

    public PublicKey? NodeId { get; set; }

    public DateTimeOffset? LastConnectedAt { get; set; }

    public string? LastError { get; set; }

    private void Change<T>(ref T field, T value)
    {
        if (EqualityComparer<T>.Default.Equals(field, value))
            return;
        field = value;
        bookVersion.Value++;
    }
}
