using System.Net;

namespace TimeCoin.Node.Alerts;

/// <summary>One live connection to a whitelisted address, as the <see cref="NodeAlertMonitor"/> sees it.</summary>
/// <param name="Address">The remote address.</param>
/// <param name="PeerId">The node id (hex).</param>
/// <param name="ConnectedAt">When its handshake completed (with <paramref name="PeerId"/>, identifies the connection).</param>
public sealed record ConnectedWhitelistedPeer(IPAddress Address, string PeerId, DateTimeOffset ConnectedAt);
