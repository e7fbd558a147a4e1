using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>Asks for full blocks by hash.</summary>
/// <param name="Hashes">Block hashes, at most <see cref="ProtocolLimits.MaxBlocksPerMessage"/>.</param>
public sealed record GetBlocksMessage(IReadOnlyList<Hash256> Hashes) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.GetBlocks;
}
