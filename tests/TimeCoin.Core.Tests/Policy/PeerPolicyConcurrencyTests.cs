using TimeCoin.Core.Policy;
using static TimeCoin.Core.Tests.Policy.PolicyTestSupport;

namespace TimeCoin.Core.Tests.Policy;

public class PeerPolicyConcurrencyTests
{
    [Fact]
    public void AddWhitelist_ManyThreadsAtOnce_CapHoldsExactly()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { MaxAutomaticWhitelistEntries = 500 });

        var stored = 0;
        Parallel.For(0, 2000, i =>
        {
            if (policy.AddWhitelist(Range($"10.{i / 250}.{i % 250}.1"), WhitelistSource.Discovery, "api"))
                Interlocked.Increment(ref stored);
        });

        Assert.Equal(500, stored);
        Assert.Equal(500, policy.AutomaticWhitelistCount);
        Assert.Equal(500, policy.ListWhitelist().Count);
    }

    [Fact]
    public void RecordViolation_ManyThreadsSameAddress_EveryViolationCounted()
    {
        var policy = NewPolicy(NewClock(), new PeerPolicyOptions { ShortBanThreshold = 1000, LongBanThreshold = 1000, PermanentBanThreshold = 1000 });

        Parallel.For(0, 999, _ => policy.RecordViolation(Ip("192.0.2.1"), ViolationKind.MalformedMessage, "x"));

        Assert.Equal(999, policy.GetViolationScore(Ip("192.0.2.1")));
        Assert.True(policy.RecordViolation(Ip("192.0.2.1"), ViolationKind.MalformedMessage, "x").IsPermanentBan);
    }
}
