using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Announces a new best block by hash and height, with its encoded header (protocol version 3, BIP 130's idea). The
/// receiver checks the header as it checks every header (it must decode to this hash and height, belong to its slot's
/// producer and carry that producer's signature) before it believes any of it; a header that extends the receiver's
/// chain lets it ask for the block with <see cref="GetBlocksMessage"/> straight away.
/// </summary>
/// <param name="Hash">The block hash (the header's hash).</param>
/// <param name="Height">The block height (the header's height).</param>
/// <param name="Header">The encoded header, at most <see cref="ProtocolLimits.MaxAnnouncedHeaderBytes"/> bytes.</param>
public sealed record HeaderAnnouncementMessage(Hash256 Hash, ulong Height, ReadOnlyMemory<byte> Header) : NetworkMessage
{
    /// <summary>The first protocol version that understands this message: older peers get <see cref="BlockAnnouncementMessage"/>.</summary>
    public const uint MinimumProtocolVersion = 3;

    /// <inheritdoc />
    public override MessageType Type => MessageType.HeaderAnnouncement;
}
