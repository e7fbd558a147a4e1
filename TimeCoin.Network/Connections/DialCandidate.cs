using System.Net;

namespace TimeCoin.Network.Connections;

/// <summary>An address due for a dial, as the <see cref="DialSetSelector"/> sees it.</summary>
/// <param name="EndPoint">Where to dial.</param>
/// <param name="Class">Manual, automatic or ordinary.</param>
/// <param name="Source">Where it was learned (ordinary addresses prefer earlier sources).</param>
/// <param name="Failures">Consecutive failed attempts (fewer first).</param>
/// <param name="Lost">An automatic entry we had a connection to and lost: it may use the lost-peer slots.</param>
/// <param name="DueSince">When it fell due (its next attempt time): lost peers waiting longest are redialed first.</param>
internal sealed record DialCandidate(IPEndPoint EndPoint, DialClass Class, AddressSource Source, int Failures, bool Lost = false, DateTimeOffset DueSince = default);
