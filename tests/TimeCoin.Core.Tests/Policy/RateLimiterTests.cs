using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class RateLimiterTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = NewClock();
    private readonly RateLimiter _limiter;

    public RateLimiterTests() =>
        _limiter = new RateLimiter(new Dictionary<string, RateLimit> { ["ping"] = new(1, 3) }, new RateLimit(10, 5), _clock);

    [Fact]
    public void TryConsume_UpToBurst_AllowedThenRefused()
    {
        Assert.True(_limiter.TryConsume("peer-a", "ping"));
        Assert.True(_limiter.TryConsume("peer-a", "ping"));
        Assert.True(_limiter.TryConsume("peer-a", "ping"));
        Assert.False(_limiter.TryConsume("peer-a", "ping"));
    }

    [Fact]
    public void TryConsume_AfterWaiting_RefillsAtRate()
    {
        for (var i = 0; i < 3; i++)
            _limiter.TryConsume("peer-a", "ping");

        _clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(_limiter.TryConsume("peer-a", "ping"));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_limiter.TryConsume("peer-a", "ping"));
        Assert.False(_limiter.TryConsume("peer-a", "ping"));
    }

    [Fact]
    public void TryConsume_LongQuiet_RefillsOnlyUpToBurst()
    {
        for (var i = 0; i < 3; i++)
            _limiter.TryConsume("peer-a", "ping");
        _clock.Advance(TimeSpan.FromHours(1));

        var allowed = Enumerable.Range(0, 10).Count(_ => _limiter.TryConsume("peer-a", "ping"));

        Assert.Equal(3, allowed);
    }

    [Fact]
    public void TryConsume_SustainedAtRate_NeverRefused()
    {
        for (var i = 0; i < 100; i++)
        {
            Assert.True(_limiter.TryConsume("peer-a", "ping"));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void TryConsume_UnknownKind_UsesDefaultLimit()
    {
        var allowed = Enumerable.Range(0, 20).Count(_ => _limiter.TryConsume("peer-a", "getblocks"));
        Assert.Equal(5, allowed);
        Assert.Equal(new RateLimit(10, 5), _limiter.LimitFor("getblocks"));
    }

    [Fact]
    public void TryConsume_PeersAndKinds_HaveSeparateBuckets()
    {
        for (var i = 0; i < 3; i++)
            _limiter.TryConsume("peer-a", "ping");

        Assert.False(_limiter.TryConsume("peer-a", "ping"));
        Assert.True(_limiter.TryConsume("peer-b", "ping"));
        Assert.True(_limiter.TryConsume("peer-a", "block"));
    }

    [Fact]
    public void RemovePeer_ForgetsBuckets_ReconnectStartsFull()
    {
        for (var i = 0; i < 3; i++)
            _limiter.TryConsume("peer-a", "ping");

        _limiter.RemovePeer("peer-a");

        Assert.Equal(0, _limiter.TrackedPeerCount);
        Assert.True(_limiter.TryConsume("peer-a", "ping"));
    }

    [Fact]
    public void Constructor_ZeroRate_ThrowsNamingKind()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new RateLimiter(new Dictionary<string, RateLimit> { ["tx"] = new(0, 5) }, new RateLimit(1, 1), _clock));
        Assert.Contains("'tx'", ex.Message);
    }

    [Fact]
    public void PeerPolicy_TryConsume_UsesOptionsLimits()
    {
        var policy = NewPolicy(_clock, new PeerPolicyOptions
        {
            RateLimits = new Dictionary<string, RateLimit> { ["inv"] = new(1, 2) },
        });
        Assert.True(policy.TryConsume("p", "inv"));
        Assert.True(policy.TryConsume("p", "inv"));
        Assert.False(policy.TryConsume("p", "inv"));
        policy.RemovePeer("p");
        Assert.True(policy.TryConsume("p", "inv"));
    }
    private static readonly System.Net.IPAddress Here = System.Net.IPAddress.Parse("10.9.0.66");
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private int Drain(string peerId, System.Net.IPAddress ip)
    {
        int allowed = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_limiter.Check(peerId, ip, "ping", Window) == RateLimitVerdict.Allowed)
                allowed++;
        }
        return allowed;
    }

    [Fact]
    public void ReleasePeer_SameNodeRedials_TakesItsDrainedBucketsBack()
    {
        Assert.Equal(3, Drain("peer-a", Here));
        _limiter.ReleasePeer("peer-a", Here, Window);

        Assert.Equal(0, Drain("peer-a", Here));
    }

    [Fact]
    public void ReleasePeer_NewNodeIdFromTheSameAddress_TakesTheDrainedBucketsOver()
    {
        Assert.Equal(3, Drain("peer-a", Here));
        _limiter.ReleasePeer("peer-a", Here, Window);

        Assert.Equal(0, Drain("peer-b", Here));
        Assert.Equal(3, Drain("peer-c", System.Net.IPAddress.Parse("10.9.0.67"))); // another address starts full
    }

    [Fact]
    public void ReleasePeer_BucketsFullAgain_Forgotten()
    {
        Drain("peer-a", Here); // drained and scored
        _limiter.ReleasePeer("peer-a", Here, Window);
        Assert.Equal(1, _limiter.ReleasedCount);

        _clock.Advance(Window); // refilled (3 tokens at 1/s) and the score window over
        _limiter.ReleasePeer("peer-z", System.Net.IPAddress.Parse("10.9.0.67"), Window); // any release prunes

        Assert.Equal(0, _limiter.ReleasedCount);
        Assert.Equal(3, Drain("peer-a", Here));
    }

    [Fact]
    public void ReleasePeer_MoreThanTheCap_OldestReleasedDropped()
    {
        for (int i = 0; i < RateLimiter.MaxReleased + 5; i++)
        {
            var ip = new System.Net.IPAddress([10, 8, (byte)(i >> 8), (byte)i]);
            _limiter.Check($"p{i}", ip, "ping", Window);
            _limiter.ReleasePeer($"p{i}", ip, Window);
        }

        Assert.Equal(RateLimiter.MaxReleased, _limiter.ReleasedCount);
        Assert.Equal(3, Drain("again-1", new System.Net.IPAddress([10, 8, 0, 0]))); // the first released was dropped
        int last = RateLimiter.MaxReleased + 4;
        Assert.Equal(2, Drain("again-2", new System.Net.IPAddress([10, 8, (byte)(last >> 8), (byte)last]))); // the last kept, one token spent
    }
}
