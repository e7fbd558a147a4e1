using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

/// <summary>How one peer's gossip batch is cut into <see cref="MasternodeGossipMessage"/> frames.</summary>
public class GossipBatchTests
{
    /// <summary>Items of the real encodings' sizes (announcement 204 bytes, heartbeat 219), each tagged by its index.</summary>
    private static List<ReadOnlyMemory<byte>> Items(int count, int size, byte tag) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var item = new byte[size];
            item[0] = tag;
            BitConverter.TryWriteBytes(item.AsSpan(1), i);
            return (ReadOnlyMemory<byte>)item;
        }).ToList();

    private static List<byte[]> All(IEnumerable<MasternodeGossipMessage> frames) =>
        frames.SelectMany(f => f.Announcements.Concat(f.Heartbeats)).Select(m => m.ToArray()).ToList();

    [Fact]
    public void ToMessages_BatchThatFits_OneFrameWithTheSameLists()
    {
        var batch = new GossipBatch(Items(20, 204, 1), Items(30, 219, 2));

        var frame = Assert.Single(batch.ToMessages(FrameFormat.DefaultMaxPayloadLength));

        Assert.Same(batch.Announcements, frame.Announcements);
        Assert.Same(batch.Heartbeats, frame.Heartbeats);
    }

    [Fact]
    public void OpaqueListSize_IsWhatTheCodecWrites()
    {
        var announcements = Items(7, 204, 1);
        var heartbeats = Items(11, 219, 2);

        int encoded = MessageCodec.Encode(new MasternodeGossipMessage(announcements, heartbeats)).Length;

        Assert.Equal(encoded, MessageCodec.OpaqueListSize(announcements) + MessageCodec.OpaqueListSize(heartbeats));
    }

    [Fact]
    public void ToMessages_BatchExactlyAtTheMaximum_OneFrameAndOneByteLessSplits()
    {
        var batch = new GossipBatch(Items(3, 204, 1), Items(4, 219, 2));
        int exact = MessageCodec.Encode(new MasternodeGossipMessage(batch.Announcements, batch.Heartbeats)).Length;

        Assert.Single(batch.ToMessages(exact));
        var split = batch.ToMessages(exact - 1);
        Assert.Equal(2, split.Count);
        Assert.All(split, f => Assert.InRange(MessageCodec.Encode(f).Length, 1, exact - 1));
    }

    [Fact]
    public void ToMessages_FullBatchUnderA600KBMaximum_EveryFrameFitsAndNothingIsLost()
    {
        const int max = 600_000; // below the ~654 KB of a batch at both count limits
        var batch = new GossipBatch(
            Items(ProtocolLimits.MaxGossipAnnouncementsPerBatch, 204, 1), Items(ProtocolLimits.MaxGossipHeartbeatsPerBatch, 219, 2));

        var frames = batch.ToMessages(max);

        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.InRange(MessageCodec.Encode(f).Length, 1, max));
        Assert.Equal(All([new MasternodeGossipMessage(batch.Announcements, batch.Heartbeats)]), All(frames));
    }

    [Fact]
    public void ToMessages_MoreAnnouncementsThanTheCountLimit_HeartbeatsOnlyWithTheLastAnnouncements()
    {
        var batch = new GossipBatch(Items(1500, 204, 1), Items(10, 219, 2));

        var frames = batch.ToMessages(FrameFormat.DefaultMaxPayloadLength);

        Assert.Equal([(1000, 0), (500, 10)], frames.Select(f => (f.Announcements.Count, f.Heartbeats.Count)));
        Assert.Equal(All([new MasternodeGossipMessage(batch.Announcements, batch.Heartbeats)]), All(frames));
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2000)]
    [InlineData(5000)]
    public void ToMessages_SmallMaximum_EachFrameFilledUpToItInOrder(int max)
    {
        var batch = new GossipBatch(Items(25, 204, 1), Items(25, 219, 2));

        var frames = batch.ToMessages(max);

        Assert.All(frames, f => Assert.InRange(MessageCodec.Encode(f).Length, 1, max));
        Assert.Equal(All([new MasternodeGossipMessage(batch.Announcements, batch.Heartbeats)]), All(frames));
        // Greedy: a frame closes only when the next item would not fit, so two neighbours never fit in one.
        for (int i = 0; i + 1 < frames.Count; i++)
        {
            var next = frames[i + 1].Announcements.Count > 0 ? frames[i + 1].Announcements[0] : frames[i + 1].Heartbeats[0];
            Assert.True(MessageCodec.Encode(frames[i]).Length + 4 + next.Length > max, $"frame {i} closed with room for the next item");
        }
    }

    [Fact]
    public void ToMessages_ItemLargerThanAnyFrame_StillItsOwnFrame()
    {
        var batch = new GossipBatch(Items(1, 204, 1), Items(2, 219, 2));

        var frames = batch.ToMessages(100);

        Assert.Equal([(1, 0), (0, 1), (0, 1)], frames.Select(f => (f.Announcements.Count, f.Heartbeats.Count)));
    }
}
