using TimeCoin.Core.Liveness;

namespace TimeCoin.Core.Tests.Liveness;

/// <summary>Liveness scenarios driven through the connection loop's rhythm (see <see cref="ConnectionLoopDriver"/>).</summary>
public class PingStateConnectionLoopTests
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(3.0)]
    [InlineData(7.5)]
    [InlineData(9.5)]
    [InlineData(10.0)]
    public void Run_SilentOrdinaryPeer_DisconnectedBetween120And170SecondsAfterFirstUnansweredPing(double checkPhaseSeconds)
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(10),
            lenientAt: _ => false,
            pongDelayFor: _ => null,
            checkPhase: TimeSpan.FromSeconds(checkPhaseSeconds));

        Assert.NotNull(disconnectedAt);
        double sinceFirstUnanswered = disconnectedAt.Value - driver.FirstUnansweredPingAt!.Value;
        Assert.InRange(sinceFirstUnanswered, 120, 170);
        Assert.StartsWith("missed 3 pongs (limit 3, timeout 90 s)", driver.Decisions[^1].Reason);
    }

    [Fact]
    public void Run_OrdinaryPeerGoesSilentAfterAnsweringForAWhile_DisconnectedBetween120And170SecondsLater()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(30),
            lenientAt: _ => false,
            pongDelayFor: sentAt => sentAt < 600 ? Answer : null);

        Assert.NotNull(disconnectedAt);
        Assert.InRange(disconnectedAt.Value - driver.FirstUnansweredPingAt!.Value, 120, 170);
    }

    [Fact]
    public void Run_WhitelistedPeerWithPongsBlockedForFiveMinutes_StaysConnected()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(30),
            lenientAt: _ => true,
            pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? null : Answer);

        Assert.Null(disconnectedAt);
        Assert.Equal(0, driver.State.MissedPongs);
    }

    [Fact]
    public void Run_WhitelistedPeerWithPongsHeldBackFiveMinutesThenDelivered_StaysConnected()
    {
        var driver = new ConnectionLoopDriver();

        // Every pong for a ping sent in [60 s, 360 s) is held back and delivered at 360 s.
        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(30),
            lenientAt: _ => true,
            pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? TimeSpan.FromSeconds(360 - sentAt) : Answer);

        Assert.Null(disconnectedAt);
        Assert.Equal(0, driver.State.MissedPongs);
    }

    [Fact]
    public void Run_OrdinaryPeerWithPongsBlockedForFiveMinutes_IsDisconnected()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(30),
            lenientAt: _ => false,
            pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? null : Answer);

        Assert.NotNull(disconnectedAt);
        Assert.True(disconnectedAt < 360);
    }

    [Fact]
    public void Run_SilentWhitelistedPeer_StillDisconnectedByTheLenientLimit()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(TimeSpan.FromHours(1), lenientAt: _ => true, pongDelayFor: _ => null);

        Assert.NotNull(disconnectedAt);
        // Ten keep-alive pings 15 s apart, the tenth missed 300 s after it was sent: about 435-445 s.
        Assert.InRange(disconnectedAt.Value, 435, 446);
        Assert.Equal("missed 10 pongs (limit 10, timeout 300 s, lenient)", driver.Decisions[^1].Reason);
    }

    [Fact]
    public void Run_BusyPeerDeliveringRequestedDataButNoPongs_IsNotCut()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(20),
            lenientAt: _ => false,
            pongDelayFor: _ => null,
            dataDeliveredAt: elapsed => elapsed % 20 == 0);

        Assert.Null(disconnectedAt);
        Assert.True(driver.State.MissedPongs >= 3);
    }

    [Fact]
    public void Run_BusyPeerStopsDeliveringData_DisconnectedWithinPongTimeoutOfLastDelivery()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(30),
            lenientAt: _ => false,
            pongDelayFor: _ => null,
            dataDeliveredAt: elapsed => elapsed <= 600 && elapsed % 20 == 0);

        Assert.NotNull(disconnectedAt);
        Assert.InRange(disconnectedAt.Value, 690, 701);
    }

    [Fact]
    public void Run_PeerWhitelistedWhileConnected_LenientLimitsApplyAtNextCheck()
    {
        // Silent peer; ordinary until 155 s. With ordinary limits it is cut at the 160 s check (see the control run).
        var control = new ConnectionLoopDriver();
        double? controlCut = control.Run(TimeSpan.FromMinutes(10), lenientAt: _ => false, pongDelayFor: _ => null);
        Assert.Equal(160, controlCut);

        var driver = new ConnectionLoopDriver();
        double? disconnectedAt = driver.Run(
            TimeSpan.FromSeconds(300),
            lenientAt: elapsed => elapsed >= 155,
            pongDelayFor: _ => null);

        Assert.Null(disconnectedAt);
        var checkAt160 = driver.Decisions[15];
        Assert.True(checkAt160.Lenient);
        Assert.Equal(LivenessAction.Keep, checkAt160.Action);
        Assert.Equal(2, checkAt160.MissedPongs);
    }

    [Fact]
    public void Run_PeerRemovedFromWhitelistWhileConnected_OrdinaryLimitsApplyAtNextCheck()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(
            TimeSpan.FromMinutes(10),
            lenientAt: elapsed => elapsed < 200,
            pongDelayFor: _ => null);

        // Lenient, it would last until about 440 s; ordinary from 200 s, the pings older than 90 s all count at once.
        Assert.Equal(200, disconnectedAt);
    }

    [Fact]
    public void Run_HealthyOrdinaryPeer_NeverMissesAPong()
    {
        var driver = new ConnectionLoopDriver();

        double? disconnectedAt = driver.Run(TimeSpan.FromHours(2), lenientAt: _ => false, pongDelayFor: _ => Answer);

        Assert.Null(disconnectedAt);
        var stats = driver.State.GetStatistics();
        Assert.Equal(0, stats.TotalMissedPongs);
        Assert.Equal(Answer, stats.AverageRtt);
        Assert.Equal(0, stats.UnknownPongs);
    }
}
