using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace TimeCoin.Network.Connections;

/// <summary>
/// Chooses which due addresses to dial now, as a pure function. Manual entries are always dialed (the operator asked
/// for them). Automatic entries (masternodes, discovered addresses) are dialed only while fewer than
/// <c>maxAutomatic</c> of them are connected or being dialed: every node keeps a bounded number of them, not a full
/// mesh, yet keeps each as a candidate (an address learned from the network that never answered is dropped, see
/// ConnectionManager.UnansweredDialLimit). Which ones is spread across the network by a
/// rendezvous hash of our node id and the address, so different nodes pick different subsets (a random k-out graph,
/// connected with high probability for k of 8) while each node's choice is stable; fewer failures come first, so a
/// lost connection is replaced at once by the next candidate. Lost peers (automatic entries whose connection ended)
/// that do not fit in the bound may take up to <c>lostSlots</c> more, so a node whose slots were refilled while those
/// peers were unreachable (a split) gets back across once they are reachable again. Ordinary addresses fill the
/// ordinary outbound target.
/// </summary>
internal static class DialSetSelector
{
    /// <summary>The addresses to dial now, manual first.</summary>
    /// <param name="due">Addresses due for an attempt, not connected and not being dialed.</param>
    /// <param name="automaticInUse">Outbound connections and dials to automatic entries now.</param>
    /// <param name="ordinaryInUse">Outbound connections and dials to ordinary addresses now.</param>
    /// <param name="maxAutomatic">Most automatic entries kept at once.</param>
    /// <param name="targetOrdinary">Ordinary outbound connections to keep.</param>
    /// <param name="spreadKey">Our node id's bytes: what makes our choice differ from other nodes'.</param>
    /// <param name="lostSlots">Automatic slots beyond <paramref name="maxAutomatic"/> for lost peers only.</param>
    /// <remarks><paramref name="automaticInUse"/> includes lost peers being dialed whatever their class.</remarks>
    public static IReadOnlyList<DialCandidate> Select(IReadOnlyList<DialCandidate> due, int automaticInUse, int ordinaryInUse,
        int maxAutomatic, int targetOrdinary, ReadOnlySpan<byte> spreadKey, int lostSlots = 0)
    {
        var key = spreadKey.ToArray();
        return Select(due, automaticInUse, ordinaryInUse, maxAutomatic, targetOrdinary, d => Rank(key, d), lostSlots);
    }

    /// <summary>As above, with each candidate's <see cref="Rank(ReadOnlySpan{byte}, DialCandidate)"/> supplied (the connection manager computes it once per address).</summary>
    internal static IReadOnlyList<DialCandidate> Select(IReadOnlyList<DialCandidate> due, int automaticInUse, int ordinaryInUse,
        int maxAutomatic, int targetOrdinary, Func<DialCandidate, ulong> rank, int lostSlots = 0)
    {
        ArgumentNullException.ThrowIfNull(due);
        var chosen = new List<DialCandidate>();
        chosen.AddRange(due.Where(d => d.Class == DialClass.Manual));
        // A lost peer that failed at most once (it just went away, most likely a restart) comes first: it had a slot.
        var automatic = due.Where(d => d.Class == DialClass.Automatic)
            .OrderBy(d => d.Lost && d.Failures <= 1 ? 0 : 1)
            .ThenBy(d => d.Failures)
            .ThenBy(rank)
            .ToList();
        int free = Math.Clamp(maxAutomatic - automaticInUse, 0, automatic.Count);
        chosen.AddRange(automatic.Take(free));
        // Lost peers left out (of any class now: a masternode removed from the registry is demoted) take the slots
        // beyond the bound, the one waiting longest first (so lost peers that stay dead cannot keep one that came back
        // waiting), then by rank. What is left of those slots: the caller counts lost peers being dialed in
        // automaticInUse.
        int lostFree = maxAutomatic + lostSlots - Math.Max(automaticInUse + free, maxAutomatic);
        var extra = lostFree <= 0 ? [] : due.Where(d => d.Lost && d.Class != DialClass.Manual)
            .Except(automatic.Take(free))
            .OrderBy(d => d.DueSince)
            .ThenBy(rank)
            .Take(lostFree)
            .ToList();
        chosen.AddRange(extra);
        chosen.AddRange(due.Where(d => d.Class == DialClass.Ordinary)
            .Except(extra)
            .OrderBy(d => d.Source)
            .ThenBy(d => d.Failures)
            .ThenBy(rank)
            .Take(Math.Max(0, targetOrdinary - ordinaryInUse)));
        return chosen;
    }

    /// <summary>A stable pseudo-random rank of <paramref name="candidate"/> for the node with <paramref name="key"/>.</summary>
    public static ulong Rank(ReadOnlySpan<byte> key, DialCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return Rank(key, candidate.EndPoint);
    }

    /// <summary>The rank of <paramref name="endpoint"/> for the node with <paramref name="key"/> (see <see cref="Rank(ReadOnlySpan{byte}, DialCandidate)"/>).</summary>
    internal static ulong Rank(ReadOnlySpan<byte> key, IPEndPoint endpoint)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(endpoint.ToString());
        Span<byte> input = stackalloc byte[key.Length + text.Length];
        key.CopyTo(input);
        text.CopyTo(input[key.Length..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadUInt64LittleEndian(hash);
    }
}
