using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>Announces a new best block by hash and height; peers that lack it ask with <see cref="GetBlocksMessage"/>.</summary>
/// <param name="Hash">The block hash.</param>
/// <param name="Height">The block height.</param>
public sealed record BlockAnnouncementMessage(Hash256 Hash, ulong Height) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.BlockAnnouncement;
}
