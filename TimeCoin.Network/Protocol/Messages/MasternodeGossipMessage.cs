namespace TimeCoin.Network.Protocol;

/// <summary>
/// A batch of masternode gossip (type 17, protocol version 2): the signed announcements and heartbeats one node
/// relays to one peer in one trickle flush, instead of one frame per item. Items are opaque here (encoded and verified
/// by TimeCoin.Core); each goes through the same checks, rate limits and scoring as a single
/// <see cref="MasternodeAnnouncementMessage"/> or <see cref="HeartbeatMessage"/>. Announcements come first, so a
/// heartbeat of a masternode announced in the same batch is never refused as coming from an unknown masternode.
/// </summary>
/// <param name="Announcements">At most <see cref="ProtocolLimits.MaxGossipAnnouncementsPerBatch"/> encoded announcements.</param>
/// <param name="Heartbeats">At most <see cref="ProtocolLimits.MaxGossipHeartbeatsPerBatch"/> encoded heartbeats.</param>
internal sealed record MasternodeGossipMessage(IReadOnlyList<ReadOnlyMemory<byte>> Announcements, IReadOnlyList<ReadOnlyMemory<byte>> Heartbeats)
    : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.MasternodeGossip;

    /// <summary>Number of items (announcements and heartbeats).</summary>
    public int Count => Announcements.Count + Heartbeats.Count;
}
