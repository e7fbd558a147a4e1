
namespace TimeCoin.Network.Protocol;

/// <summary>Liveness probe; the peer answers with a <see cref="PongMessage"/> carrying the same nonce.</summary>
/// <param name="Nonce">Matches the reply to the probe.</param>
/// <param name="Timestamp">Sender clock, Unix milliseconds (for round-trip measurement).</param>
/// <param name="Height">Sender best height.</param>
public sealed record PingMessage(ulong Nonce, long Timestamp, ulong Height) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Ping;
}
