
namespace TimeCoin.Network.Protocol;

/// <summary>Handshake acknowledgement. Carries the sender's Ed25519 signature over <see cref="HandshakeProof"/> data built from the receiver's version nonce, proving the sender holds the key of the node id it announced.</summary>
/// <param name="Signature">64-byte Ed25519 signature.</param>
public sealed record VerAckMessage(ReadOnlyMemory<byte> Signature) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.VerAck;
}
