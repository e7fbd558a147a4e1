using System.Net;

namespace TimeCoin.Network.Connections;

/// <summary>An address the connection manager knows, as the node persists it across restarts.</summary>
/// <param name="EndPoint">The peer's listening endpoint.</param>
/// <param name="Source">Where the address was learned.</param>
/// <param name="LastConnectedAt">When a connection to it last succeeded, if ever.</param>
/// <param name="Failures">Consecutive failed dials.</param>
public sealed record KnownPeer(IPEndPoint EndPoint, AddressSource Source, DateTimeOffset? LastConnectedAt, int Failures);
