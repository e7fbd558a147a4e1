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
}
