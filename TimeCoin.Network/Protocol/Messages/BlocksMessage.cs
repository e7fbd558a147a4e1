
namespace TimeCoin.Network.Protocol;

/// <summary>Full blocks as encoded by TimeCoin.Core (opaque here). Bounded by count and by the frame maximum in bytes.</summary>
/// <param name="Blocks">Encoded blocks, at most <see cref="ProtocolLimits.MaxBlocksPerMessage"/>.</param>
public sealed record BlocksMessage(IReadOnlyList<ReadOnlyMemory<byte>> Blocks) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Blocks;
}
