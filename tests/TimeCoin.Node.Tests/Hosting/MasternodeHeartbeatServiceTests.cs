using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node.Tests.Hosting;

public class MasternodeHeartbeatServiceTests
{
    private sealed class Harness : IDisposable
    {
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        public KeyPair Key { get; } = KeyPair.Generate();
        public List<NetworkMessage> Sent { get; } = [];
        public HeartbeatRegistry Local { get; }
        public MasternodeHeartbeatService Service { get; }

        public Harness()
        {
            Local = new HeartbeatRegistry(new HeartbeatOptions(), Time, "devnet");
            Service = new MasternodeHeartbeatService(Key, "devnet", () => "127.0.0.1:24200", MasternodeTier.Free, () => 42,
                Local, m => { Sent.Add(m); return ValueTask.CompletedTask; }, Time, TimeSpan.FromSeconds(60), NullLogger.Instance);
        }

        public void Dispose() => Key.Dispose();
    }

    [Fact]
    public async Task BeatAsync_First_AnnouncesThenBeatsAndRegistersItself()
    {
        using var h = new Harness();
        await h.Service.BeatAsync();
        Assert.IsType<MasternodeAnnouncementMessage>(h.Sent[0]);
        Assert.IsType<HeartbeatMessage>(h.Sent[1]);
        Assert.Contains(h.Local.ActiveMasternodes, r => r.Key == h.Key.PublicKey);
    }

    [Fact]
    public async Task BeatAsync_SentMessages_AreAcceptedByAnotherNodesRegistry()
    {
        using var h = new Harness();
        await h.Service.BeatAsync();
        var remote = new HeartbeatRegistry(new HeartbeatOptions(), h.Time, "devnet");
        Assert.True(MasternodeAnnouncement.TryDecode(((MasternodeAnnouncementMessage)h.Sent[0]).Announcement.Span, out var announcement, out _));
        Assert.True(remote.Accept(announcement!).Accepted);
        Assert.True(Heartbeat.TryDecode(((HeartbeatMessage)h.Sent[1]).Heartbeat.Span, out var heartbeat, out _));
        Assert.True(remote.Accept(heartbeat!).Accepted);
    }

    [Fact]
    public async Task BeatAsync_TwiceInSameMillisecond_SequenceStillIncreases()
    {
        using var h = new Harness();
        await h.Service.BeatAsync();
        await h.Service.BeatAsync();
        var beats = h.Sent.OfType<HeartbeatMessage>()
            .Select(m => { Heartbeat.TryDecode(m.Heartbeat.Span, out var hb, out _); return hb!.Sequence; }).ToList();
        Assert.Equal(2, beats.Count);
        Assert.True(beats[1] > beats[0]);
    }

    [Fact]
    public async Task BeatAsync_FifthBeatAfterFirst_ReannouncesForLateJoiners()
    {
        using var h = new Harness();
        for (int i = 0; i < MasternodeHeartbeatService.AnnouncementEvery + 1; i++)
        {
            await h.Service.BeatAsync();
            h.Time.Advance(TimeSpan.FromSeconds(60));
        }
        Assert.Equal(2, h.Sent.OfType<MasternodeAnnouncementMessage>().Count());
    }
}
