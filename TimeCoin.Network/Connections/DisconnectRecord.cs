using System.Net;

namespace TimeCoin.Network.Connections;

/// <summary>One closed connection, kept (bounded) for RPC and troubleshooting.</summary>
/// <param name="PeerId">The peer's node id in hex.</param>
/// <param name="RemoteEndPoint">Where the connection came from or went to.</param>
/// <param name="IsInbound">True when the remote dialed us.</param>
/// <param name="WasWhitelisted">True when the peer's address was whitelisted at the time.</param>
/// <param name="Reason">Why it closed.</param>
/// <param name="At">When it closed.</param>
/// <param name="Duration">How long it had been connected.</param>
public sealed record DisconnectRecord(string PeerId, IPEndPoint RemoteEndPoint, bool IsInbound, bool WasWhitelisted, string Reason, DateTimeOffset At, TimeSpan Duration)
{
    /// <summary>True when the remote ended the connection in order with a Goodbye message (its reason is in <see cref="Reason"/>).</summary>
    public bool ClosedByGoodbye { get; init; }

    /// <summary>Where the peer accepted connections (the endpoint dialed, or an inbound peer's announced listen port); null when it did not listen.</summary>
    public IPEndPoint? AdvertisedEndPoint { get; init; }
}
