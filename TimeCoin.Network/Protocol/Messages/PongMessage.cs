
namespace TimeCoin.Network.Protocol;

/// <summary>Liveness reply to a <see cref="PingMessage"/>.</summary>
/// <param name="Nonce">The nonce of the ping answered.</param>
/// <param name="Timestamp">Sender clock, Unix milliseconds.</param>
/// <param name="Height">Sender best height.</param>
public sealed record PongMessage(ulong Nonce, long Timestamp, ulong Height) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Pong;
}
