using System.Net;

namespace TimeCoin.Network.Protocol;

/// <summary>Addresses of peers the sender knows (IPv4 or IPv6 with port).</summary>
/// <param name="Peers">At most <see cref="ProtocolLimits.MaxPeersPerMessage"/> endpoints.</param>
public sealed record PeersMessage(IReadOnlyList<IPEndPoint> Peers) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Peers;
}
