using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Liveness;
using TimeCoin.Network.Peers;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The production liveness driver (<see cref="LivenessDriver"/>, the one every <see cref="PeerConnection"/> runs) on a
/// fake clock, against a scripted peer: when pings go out, and when a silent peer is cut.
/// </summary>
public class LivenessDriverTests
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>A connection's liveness: the real driver, a scripted remote that answers (or not) each ping.</summary>
    private sealed class Harness
    {
        private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        private readonly DateTimeOffset _start;
        private readonly LivenessDriver _driver;
        private readonly List<(DateTimeOffset At, ulong Nonce)> _pongsInFlight = [];
        private readonly Func<double, bool> _lenientAt;
        private ulong _nonce = 1;

        public Harness(PingOptions? options = null, Func<double, TimeSpan?>? pongDelayFor = null, Func<double, bool>? lenientAt = null)
        {
            Options = options ?? PingOptions.Default;
            _start = _time.GetUtcNow();
            State = new PingState(Options, _time, () => _nonce++);
            var delay = pongDelayFor ?? (_ => Answer);
            var lenient = _lenientAt = lenientAt ?? (_ => false);
            _driver = new LivenessDriver(State, _time, Options.CheckInterval, () => lenient(Elapsed), nonce =>
            {
                PingsAt.Add(Elapsed);
                if (delay(Elapsed) is { } d)
                    _pongsInFlight.Add((_time.GetUtcNow() + d, nonce));
                else
                    FirstUnansweredPingAt ??= Elapsed;
            }, decision =>
            {
                DisconnectedAt = Elapsed;
                Reason = decision.Reason;
            });
        }

        public PingOptions Options { get; }
        public PingState State { get; }
        public List<double> PingsAt { get; } = [];
        public double? FirstUnansweredPingAt { get; private set; }
        public double? DisconnectedAt { get; private set; }
        public string? Reason { get; private set; }
        public double Elapsed => (_time.GetUtcNow() - _start).TotalSeconds;

        /// <summary>The driver's polls (its timer's wakes and the first poll at start).</summary>
        public long Polls => _driver.Polls;

        /// <summary>The time of each poll, by the driver's own next-wake time, seen after each step.</summary>
        public List<double> WakesPlanned { get; } = [];

        /// <summary>
        /// Starts the driver and runs the clock in 100 ms steps until a disconnect or the end. When the peer's class
        /// changes at a step, the driver is told at once (as the connection manager does on a whitelist change).
        /// </summary>
        public Harness Run(TimeSpan duration, Func<double, bool>? dataDeliveredAt = null)
        {
            _driver.Start();
            bool lenient = _lenientAt(Elapsed);
            var end = _start + duration;
            while (DisconnectedAt is null && _time.GetUtcNow() < end)
            {
                _time.Advance(Step);
                if (_lenientAt(Elapsed) != lenient)
                {
                    lenient = !lenient;
                    _driver.OnClassMayHaveChanged();
                }
                if (_driver.NextWakeAt is { } wake && (WakesPlanned.Count == 0 || WakesPlanned[^1] != (wake - _start).TotalSeconds))
                    WakesPlanned.Add((wake - _start).TotalSeconds);
                var now = _time.GetUtcNow();
                foreach (var pong in _pongsInFlight.Where(p => p.At <= now).ToList())
                {
                    _pongsInFlight.Remove(pong);
                    State.OnPong(pong.Nonce);
                }
                if (dataDeliveredAt?.Invoke(Math.Round(Elapsed, 1)) == true)
                    State.OnRequestedDataReceived();
            }
            _driver.Dispose();
            return this;
        }

        public IEnumerable<double> Intervals() => PingsAt.Zip(PingsAt.Skip(1), (a, b) => b - a);
    }

    [Fact]
    public void Run_WhitelistedPeer_KeepAlivePingsEveryFifteenSecondsExactly()
    {
        var h = new Harness(lenientAt: _ => true).Run(TimeSpan.FromMinutes(5));

        Assert.Equal(0, h.PingsAt[0]);
        Assert.Equal(21, h.PingsAt.Count); // 0, 15, ..., 300
        Assert.All(h.Intervals(), i => Assert.Equal(15, i, 0.11));
    }

    [Fact]
    public void Run_OrdinaryPeer_PingsEveryThirtySecondsExactly()
    {
        var h = new Harness().Run(TimeSpan.FromMinutes(5));

        Assert.Equal(11, h.PingsAt.Count);
        Assert.All(h.Intervals(), i => Assert.Equal(30, i, 0.11));
        Assert.Null(h.DisconnectedAt);
    }

    [Fact]
    public void Run_ShortIntervalsBelowTheCheckInterval_PingsAtTheConfiguredIntervalAndCutAtTheWindowEnd()
    {
        // The measurement: ping 2 s, timeout 6 s, 3 missed used to ping every 10 s and cut after 40 s.
        var options = PingOptions.Default with { PingInterval = TimeSpan.FromSeconds(2), PongTimeout = TimeSpan.FromSeconds(6), MaxMissedPongs = 3 };

        var answering = new Harness(options).Run(TimeSpan.FromSeconds(20));
        Assert.Equal(11, answering.PingsAt.Count);
        Assert.All(answering.Intervals(), i => Assert.Equal(2, i, 0.11));

        var silent = new Harness(options, pongDelayFor: _ => null).Run(TimeSpan.FromMinutes(1));
        // Pings at 0, 2, 4; the third is missed just after 4 + 6 = 10 s.
        Assert.Equal(10, silent.DisconnectedAt!.Value, 0.11);
        Assert.StartsWith("missed 3 pongs (limit 3, timeout 6 s)", silent.Reason);
    }

    [Fact]
    public void Run_SilentOrdinaryPeer_CutOneHundredFiftySecondsAfterItsFirstUnansweredPing()
    {
        var h = new Harness(pongDelayFor: _ => null).Run(TimeSpan.FromMinutes(10));

        // Pings at t0, t0+30, t0+60; the third times out at t0+60+90: inside the required 120-170 s window.
        Assert.Equal(150, h.DisconnectedAt!.Value - h.FirstUnansweredPingAt!.Value, 0.11);
        Assert.StartsWith("missed 3 pongs (limit 3, timeout 90 s)", h.Reason);
    }

    [Fact]
    public void Run_OrdinaryPeerGoesSilentAfterAnsweringForAWhile_CutOneHundredFiftySecondsLater()
    {
        var h = new Harness(pongDelayFor: sentAt => sentAt < 600 ? Answer : null).Run(TimeSpan.FromMinutes(30));

        Assert.Equal(150, h.DisconnectedAt!.Value - h.FirstUnansweredPingAt!.Value, 0.11);
    }

    [Fact]
    public void Run_SilentWhitelistedPeer_CutByTheLenientLimitAfter435Seconds()
    {
        var h = new Harness(pongDelayFor: _ => null, lenientAt: _ => true).Run(TimeSpan.FromHours(1));

        // Ten keep-alives 15 s apart, the tenth missed 300 s after it was sent.
        Assert.Equal(435, h.DisconnectedAt!.Value, 0.11);
        Assert.Equal("missed 10 pongs (limit 10, timeout 300 s, lenient)", h.Reason);
    }

    [Fact]
    public void Run_WhitelistedPeerWithPongsBlockedForFiveMinutes_StaysConnectedWithoutAMissedPong()
    {
        var h = new Harness(pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? null : Answer, lenientAt: _ => true)
            .Run(TimeSpan.FromMinutes(30));

        Assert.Null(h.DisconnectedAt);
        Assert.Equal(0, h.State.MissedPongs);
    }

    [Fact]
    public void Run_WhitelistedPeerWithPongsHeldBackFiveMinutesThenDelivered_StaysConnected()
    {
        var h = new Harness(pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? TimeSpan.FromSeconds(360 - sentAt) : Answer, lenientAt: _ => true)
            .Run(TimeSpan.FromMinutes(30));

        Assert.Null(h.DisconnectedAt);
        Assert.Equal(0, h.State.MissedPongs);
    }

    [Fact]
    public void Run_OrdinaryPeerWithPongsBlockedForFiveMinutes_IsCut()
    {
        var h = new Harness(pongDelayFor: sentAt => sentAt is >= 60 and < 360 ? null : Answer).Run(TimeSpan.FromMinutes(30));

        Assert.Equal(60 + 150, h.DisconnectedAt!.Value, 0.11);
    }

    [Fact]
    public void Run_BusyPeerDeliveringRequestedDataButNoPongs_IsNotCut()
    {
        var h = new Harness(pongDelayFor: _ => null).Run(TimeSpan.FromMinutes(20), dataDeliveredAt: elapsed => elapsed % 20 == 0);

        Assert.Null(h.DisconnectedAt);
        Assert.True(h.State.MissedPongs >= 3);
    }

    [Fact]
    public void Run_BusyPeerStopsDeliveringData_CutWhenThePongTimeoutSinceTheLastDeliveryRunsOut()
    {
        var h = new Harness(pongDelayFor: _ => null).Run(TimeSpan.FromMinutes(30), dataDeliveredAt: elapsed => elapsed <= 600 && elapsed % 20 == 0);

        Assert.Equal(690, h.DisconnectedAt!.Value, 0.11);
    }

    [Fact]
    public void Run_PeerWhitelistedWhileConnected_LenientLimitsAndKeepAliveApplyAtOnce()
    {
        var control = new Harness(pongDelayFor: _ => null).Run(TimeSpan.FromMinutes(10));
        Assert.Equal(150, control.DisconnectedAt!.Value, 0.11);

        // Whitelisted at 141 s: the driver polls at that moment, under 300 s / 10, and the keep-alive (due since 135 s:
        // the last ping went out at 120 s) goes out then, not at the next ordinary ping (150 s) nor a poll tick.
        var h = new Harness(pongDelayFor: _ => null, lenientAt: elapsed => elapsed >= 141).Run(TimeSpan.FromSeconds(300));

        Assert.Null(h.DisconnectedAt);
        Assert.Equal([0, 30, 60, 90, 120, 141, 156, 171, 186], h.PingsAt.Take(9).Select(t => Math.Round(t, 3)));
    }

    [Fact]
    public void Run_PeerRemovedFromWhitelistWhileConnected_OrdinaryLimitsApplyAtOnce()
    {
        var h = new Harness(pongDelayFor: _ => null, lenientAt: elapsed => elapsed < 200).Run(TimeSpan.FromMinutes(10));

        // Lenient it would last until 435 s; ordinary from 200 s, every ping older than 90 s counts at that poll.
        Assert.Equal(200, h.DisconnectedAt!.Value, 0.001);
    }

    [Fact]
    public void Run_WhitelistEntryChangesButTheClassDoesNot_NoExtraPoll()
    {
        var time = new FakeTimeProvider();
        ulong n = 1;
        var state = new PingState(PingOptions.Default, time, () => n++);
        using var driver = new LivenessDriver(state, time, TimeSpan.FromSeconds(10), () => true, _ => { }, _ => { });
        driver.Start();
        time.Advance(TimeSpan.FromSeconds(5));

        driver.OnClassMayHaveChanged(); // e.g. a second entry covering the peer: still lenient

        Assert.Equal(1, driver.Polls);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(10), driver.NextWakeAt);
    }

    [Fact]
    public void Run_WhitelistedPeer_WakesOnlyAtItsKeepAlives()
    {
        var h = new Harness(lenientAt: _ => true).Run(TimeSpan.FromMinutes(5));

        // One poll per keep-alive (0, 15, ..., 300 s), none between: the pongs (1 s later) and the class do not wake it.
        Assert.Equal(21, h.Polls);
        Assert.Equal(Enumerable.Range(1, 21).Select(i => 15.0 * i), h.WakesPlanned.Select(t => Math.Round(t, 3)));
    }

    [Fact]
    public void Run_OrdinaryPeer_WakesOnlyAtItsPings()
    {
        var h = new Harness().Run(TimeSpan.FromMinutes(5));

        Assert.Equal(11, h.Polls);
        Assert.All(h.WakesPlanned, t => Assert.Equal(0, t % 30, 0.001));
    }

    [Fact]
    public void Run_HealthyOrdinaryPeer_NeverMissesAPong()
    {
        var h = new Harness().Run(TimeSpan.FromHours(2));

        Assert.Null(h.DisconnectedAt);
        var stats = h.State.GetStatistics();
        Assert.Equal(0, stats.TotalMissedPongs);
        Assert.Equal(0, stats.UnknownPongs);
        Assert.Equal(Answer.TotalSeconds, stats.AverageRtt!.Value.TotalSeconds, 0.11);
    }

    [Fact]
    public void Dispose_StoppedDriver_SendsNoMorePings()
    {
        var time = new FakeTimeProvider();
        ulong n = 1;
        var state = new PingState(PingOptions.Default, time, () => n++);
        int pings = 0;
        var driver = new LivenessDriver(state, time, TimeSpan.FromSeconds(10), () => false, _ => pings++, _ => { });
        driver.Start();
        Assert.Equal(1, pings);

        driver.Dispose();
        time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(1, pings);
        Assert.Null(driver.NextWakeAt);
    }

    [Fact]
    public void Start_CallbackThrows_ErrorReportedAndTheDriverPollsAgainAfterTheCheckInterval()
    {
        var time = new FakeTimeProvider();
        ulong n = 1;
        var state = new PingState(PingOptions.Default, time, () => n++);
        int calls = 0;
        int pings = 0;
        var errors = new List<Exception>();
        using var driver = new LivenessDriver(state, time, TimeSpan.FromSeconds(10),
            () => ++calls == 1 ? throw new InvalidOperationException("policy lookup failed") : false,
            _ => pings++, _ => { }, errors.Add);

        driver.Start(); // must not throw into the caller (or, on a real clock, into the timer thread)

        Assert.IsType<InvalidOperationException>(Assert.Single(errors));
        Assert.Equal(0, pings);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, pings);
    }
}
