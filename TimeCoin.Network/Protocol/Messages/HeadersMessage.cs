
namespace TimeCoin.Network.Protocol;

/// <summary>Block headers as encoded by TimeCoin.Core (opaque here).</summary>
/// <param name="Headers">Encoded headers, at most <see cref="ProtocolLimits.MaxHeadersPerMessage"/>.</param>
public sealed record HeadersMessage(IReadOnlyList<ReadOnlyMemory<byte>> Headers) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Headers;
}
