using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Connections;

/// <summary>What one flush sends one peer: announcements first, then heartbeats, each in the order they were queued.</summary>
/// <param name="Announcements">Encoded signed announcements.</param>
/// <param name="Heartbeats">Encoded signed heartbeats.</param>
internal sealed record GossipBatch(IReadOnlyList<ReadOnlyMemory<byte>> Announcements, IReadOnlyList<ReadOnlyMemory<byte>> Heartbeats)
{
    /// <summary>Bytes of a <see cref="MasternodeGossipMessage"/> payload besides its items: the two list counts.</summary>
    private const int ListCountsSize = 2 * MessageCodec.OpaqueListCountSize;

    /// <summary>Bytes an item adds to the payload besides its own: its length prefix.</summary>
    private const int ItemPrefixSize = MessageCodec.OpaqueItemPrefixSize;

    /// <summary>
    /// The frames that carry this batch to a connection whose frames hold at most <paramref name="maxPayloadLength"/>
    /// payload bytes: one <see cref="MasternodeGossipMessage"/> when everything fits (the normal case: a flush carries a
    /// few dozen items, and a full batch of 1,000 announcements and 2,000 heartbeats is about 654 KB against the 4 MiB
    /// default), otherwise as many as needed so that each stays within both the item-count limits
    /// (<see cref="ProtocolLimits.MaxGossipAnnouncementsPerBatch"/>, <see cref="ProtocolLimits.MaxGossipHeartbeatsPerBatch"/>)
    /// and the payload maximum. Items keep their order, and heartbeats travel only in or after the frame that carries
    /// the last announcement, so a heartbeat never arrives ahead of an announcement of the same batch. A frame always
    /// takes at least one item: an item too large for any frame (a frame maximum below one item, about 530 bytes) is
    /// left to the connection's writer, which drops it with an error logged.
    /// </summary>
    public IReadOnlyList<MasternodeGossipMessage> ToMessages(int maxPayloadLength)
    {
        var announcements = Announcements;
        var heartbeats = Heartbeats;
        if (announcements.Count <= ProtocolLimits.MaxGossipAnnouncementsPerBatch && heartbeats.Count <= ProtocolLimits.MaxGossipHeartbeatsPerBatch
            && MessageCodec.OpaqueListSize(announcements) + MessageCodec.OpaqueListSize(heartbeats) <= maxPayloadLength)
            return [new MasternodeGossipMessage(announcements, heartbeats)];

        var frames = new List<MasternodeGossipMessage>();
        int a = 0, h = 0;
        while (a < announcements.Count || h < heartbeats.Count)
        {
            long size = ListCountsSize;
            int firstA = a, firstH = h;
            while (a < announcements.Count && a - firstA < ProtocolLimits.MaxGossipAnnouncementsPerBatch
                   && (a == firstA || size + ItemPrefixSize + announcements[a].Length <= maxPayloadLength))
                size += ItemPrefixSize + announcements[a++].Length;
            if (a == announcements.Count)
            {
                while (h < heartbeats.Count && h - firstH < ProtocolLimits.MaxGossipHeartbeatsPerBatch
                       && ((a == firstA && h == firstH) || size + ItemPrefixSize + heartbeats[h].Length <= maxPayloadLength))
                    size += ItemPrefixSize + heartbeats[h++].Length;
            }
            frames.Add(new MasternodeGossipMessage(Slice(announcements, firstA, a - firstA), Slice(heartbeats, firstH, h - firstH)));
        }
        return frames;
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> Slice(IReadOnlyList<ReadOnlyMemory<byte>> items, int start, int count)
    {
        if (count == 0)
            return [];
        if (start == 0 && count == items.Count)
            return items;
        var slice = new ReadOnlyMemory<byte>[count];
        for (int i = 0; i < count; i++)
            slice[i] = items[start + i];
        return slice;
    }
}
