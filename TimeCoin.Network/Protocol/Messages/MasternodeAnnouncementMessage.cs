
namespace TimeCoin.Network.Protocol;

/// <summary>A masternode announcement signed with the masternode key, encoded and verified by TimeCoin.Core (opaque here).</summary>
/// <param name="Announcement">The encoded signed announcement.</param>
public sealed record MasternodeAnnouncementMessage(ReadOnlyMemory<byte> Announcement) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.MasternodeAnnouncement;
}
