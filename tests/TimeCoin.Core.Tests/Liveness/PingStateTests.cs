using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Liveness;

namespace TimeCoin.Core.Tests.Liveness;

public class PingStateTests
{
    private readonly FakeTimeProvider _time = new();
    private ulong _nonce = 100;

    private PingState NewState(PingOptions? options = null) => new(options ?? PingOptions.Default, _time, () => _nonce++);

    private void Advance(double seconds) => _time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Defaults_MatchTheSeedFigures()
    {
        var o = PingOptions.Default;
        Assert.Equal(TimeSpan.FromSeconds(30), o.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), o.CheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(90), o.PongTimeout);
        Assert.Equal(3, o.MaxMissedPongs);
        Assert.Equal(TimeSpan.FromSeconds(300), o.LenientPongTimeout);
        Assert.Equal(10, o.LenientMaxMissedPongs);
        Assert.Equal(TimeSpan.FromSeconds(15), o.KeepAliveInterval);
    }

    [Fact]
    public void IsPingDue_NewConnection_True()
    {
        Assert.True(NewState().IsPingDue(lenient: false));
    }

    [Fact]
    public void IsPingDue_Ordinary_DueAgainOnlyAfterPingInterval()
    {
        var state = NewState();
        state.StartPing();
        Advance(29);
        Assert.False(state.IsPingDue(lenient: false));
        Advance(1);
        Assert.True(state.IsPingDue(lenient: false));
    }

    [Fact]
    public void IsPingDue_Lenient_UsesKeepAliveInterval()
    {
        var state = NewState();
        state.StartPing();
        Advance(14);
        Assert.False(state.IsPingDue(lenient: true));
        Advance(1);
        Assert.True(state.IsPingDue(lenient: true));
        Assert.False(state.IsPingDue(lenient: false));
    }

    [Fact]
    public void OnPong_MatchingNonce_CompletesPingAndRecordsRtt()
    {
        var state = NewState();
        ulong nonce = state.StartPing();
        Advance(0.25);

        Assert.Equal(PongResult.Matched, state.OnPong(nonce));

        Assert.Equal(TimeSpan.FromMilliseconds(250), state.LastRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(250), state.MinRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(250), state.AverageRtt);
        Assert.Equal(0, state.PendingPings);
        Assert.Equal(_time.GetUtcNow(), state.LastPongAt);
    }

    [Fact]
    public void OnPong_SeveralPongs_TracksLastMinAndAverage()
    {
        var state = NewState();
        foreach (double rtt in new[] { 0.3, 0.1, 0.5 })
        {
            ulong nonce = state.StartPing();
            Advance(rtt);
            state.OnPong(nonce);
            Advance(30);
        }
        Assert.Equal(TimeSpan.FromMilliseconds(500), state.LastRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(100), state.MinRtt);
        Assert.Equal(TimeSpan.FromMilliseconds(300), state.AverageRtt);
    }

    [Fact]
    public void OnPong_UnknownNonce_ChangesNothingButTheCounter()
    {
        var state = NewState();
        state.StartPing();
        Advance(100);
        state.Check(lenient: false);
        state.StartPing();
        var before = state.GetStatistics();

        Assert.Equal(PongResult.Unknown, state.OnPong(0xDEADBEEF));

        var after = state.GetStatistics();
        Assert.Equal(before with { UnknownPongs = before.UnknownPongs + 1 }, after);
        Assert.Equal(1, state.MissedPongs);
    }

    /// <summary>
    /// The statistics are one instance while nothing changes (metrics read them every 5 s per connection) and new,
    /// with the changed figure, after each kind of change: a ping, a pong (matched, late, unknown), a missed pong, a
    /// delivery.
    /// </summary>
    [Fact]
    public void GetStatistics_SameInstanceUntilAFigureChanges_ThenTheNewFigures()
    {
        var state = NewState();
        var start = state.GetStatistics();
        Advance(5);
        state.Check(lenient: false);
        Assert.Same(start, state.GetStatistics());

        ulong first = state.StartPing();
        var pinged = Changed(start, state);
        Assert.Equal((1, _time.GetUtcNow()), (pinged.PendingPings, pinged.LastPingSentAt));
        Advance(0.2);
        state.OnPong(first);
        var ponged = Changed(pinged, state);
        Assert.Equal((0, TimeSpan.FromMilliseconds(200), _time.GetUtcNow()), (ponged.PendingPings, ponged.LastRtt, ponged.LastPongAt));
        state.OnRequestedDataReceived();
        var delivered = Changed(ponged, state);
        Assert.Equal(_time.GetUtcNow(), delivered.LastRequestedDataAt);

        ulong second = state.StartPing();
        var pingedAgain = Changed(delivered, state);
        Advance(100);
        state.Check(lenient: false);
        var missed = Changed(pingedAgain, state);
        Assert.Equal((1, 1L, 0), (missed.MissedPongs, missed.TotalMissedPongs, missed.PendingPings));
        Advance(1);
        state.Check(lenient: false);
        Assert.Same(missed, state.GetStatistics());
        state.OnPong(second);
        var late = Changed(missed, state);
        Assert.Equal(1, late.LatePongs);
        state.OnPong(0xDEADBEEF);
        Assert.Equal(1, Changed(late, state).UnknownPongs);
    }

    /// <summary>The statistics now: a new instance, and the same figures as the state's own properties.</summary>
    private static PingStatistics Changed(PingStatistics before, PingState state)
    {
        var now = state.GetStatistics();
        Assert.NotSame(before, now);
        Assert.Equal((state.MissedPongs, state.PendingPings, state.UnknownPongs, state.LastRtt, state.MinRtt, state.AverageRtt, state.LastPongAt),
            (now.MissedPongs, now.PendingPings, now.UnknownPongs, now.LastRtt, now.MinRtt, now.AverageRtt, now.LastPongAt));
        return now;
    }

    [Fact]
    public void OnPong_SameNonceTwice_SecondIsUnknown()
    {
        var state = NewState();
        ulong nonce = state.StartPing();
        Assert.Equal(PongResult.Matched, state.OnPong(nonce));
        Assert.Equal(PongResult.Unknown, state.OnPong(nonce));
        Assert.Equal(1, state.UnknownPongs);
    }

    [Fact]
    public void Check_PingUnansweredPastTimeout_CountsMissedExactlyOnce()
    {
        var state = NewState();
        state.StartPing();
        Advance(90);
        state.Check(lenient: false);
        Assert.Equal(0, state.MissedPongs);

        Advance(1);
        for (int i = 0; i < 5; i++)
        {
            state.Check(lenient: false);
            Advance(10);
        }
        Assert.Equal(1, state.MissedPongs);
        Assert.Equal(0, state.PendingPings);
    }

    [Fact]
    public void OnPong_OneMatchingPong_ResetsMissedCount()
    {
        var state = NewState();
        state.StartPing();
        Advance(30);
        state.StartPing();
        Advance(70);
        state.Check(lenient: false);
        Assert.Equal(1, state.MissedPongs);
        ulong answered = state.StartPing();
        Advance(30);
        state.Check(lenient: false);
        Assert.Equal(2, state.MissedPongs);

        Assert.Equal(PongResult.Matched, state.OnPong(answered));

        Assert.Equal(0, state.MissedPongs);
        Assert.Equal(LivenessAction.Keep, state.Check(lenient: false).Action);
    }

    [Fact]
    public void OnPong_AnswerToPingAlreadyMissed_IsLateAndDoesNotResetCount()
    {
        var state = NewState();
        ulong nonce = state.StartPing();
        Advance(95);
        state.Check(lenient: false);

        Assert.Equal(PongResult.Late, state.OnPong(nonce));

        Assert.Equal(1, state.MissedPongs);
        Assert.Equal(TimeSpan.FromSeconds(95), state.LastRtt);
        Assert.Equal(0, state.UnknownPongs);
        Assert.Equal(1, state.GetStatistics().LatePongs);
    }

    [Fact]
    public void Check_OrdinaryPeerMissesThreePongs_DisconnectsNamingTheLimit()
    {
        var state = NewState();
        for (int i = 0; i < 3; i++)
        {
            state.StartPing();
            Advance(30);
        }
        Advance(61);

        var decision = state.Check(lenient: false);

        Assert.Equal(LivenessAction.Disconnect, decision.Action);
        Assert.Equal("missed 3 pongs (limit 3, timeout 90 s)", decision.Reason);
        Assert.Equal(3, decision.MissedPongs);
        Assert.False(decision.Lenient);
    }

    [Fact]
    public void Check_LenientPeerMissesTenPongs_DisconnectsNamingTheLenientLimit()
    {
        var state = NewState();
        for (int i = 0; i < 10; i++)
        {
            state.StartPing();
            Advance(15);
        }
        Advance(286);

        var decision = state.Check(lenient: true);

        Assert.Equal(LivenessAction.Disconnect, decision.Action);
        Assert.Equal("missed 10 pongs (limit 10, timeout 300 s, lenient)", decision.Reason);
        Assert.True(decision.Lenient);
    }

    [Fact]
    public void Check_BelowLimit_Keeps()
    {
        var state = NewState();
        state.StartPing();
        Advance(30);
        state.StartPing();
        Advance(100);

        var decision = state.Check(lenient: false);

        Assert.Equal(LivenessAction.Keep, decision.Action);
        Assert.Equal(2, decision.MissedPongs);
    }

    [Fact]
    public void StartPing_ManyOutstandingPings_NoLiveNonceIsDropped()
    {
        var state = NewState();
        var nonces = new List<ulong>();
        for (int i = 0; i < 200; i++)
        {
            nonces.Add(state.StartPing());
            Advance(1);
        }
        Assert.Equal(200, state.PendingPings);
        Assert.Equal(PongResult.Matched, state.OnPong(nonces[0]));
        Assert.Equal(PongResult.Matched, state.OnPong(nonces[^1]));
    }

    [Fact]
    public void StartPing_PingsLongExpired_AreForgottenSoTheirPongIsUnknown()
    {
        var state = NewState();
        ulong old = state.StartPing();
        Advance(91);
        state.Check(lenient: false);
        Advance(1000);
        state.StartPing();

        Assert.Equal(PongResult.Unknown, state.OnPong(old));
    }

    [Fact]
    public void OnPong_MissedPingOlderThanTheRetentionNotYetForgotten_IsUnknownAsIfItWere()
    {
        // The retention (twice the longest pong timeout, 600 s) is judged when the pong arrives, not only when the
        // driver next polls: the driver polls only at its deadlines (every 15 or 30 s), so a pong just past 600 s is
        // unknown whether or not a poll has forgotten the ping yet.
        var state = NewState();
        ulong old = state.StartPing();
        Advance(91);
        state.Check(lenient: false); // counted missed
        Advance(510); // 601 s old, and no poll since

        Assert.Equal(PongResult.Unknown, state.OnPong(old));
        Assert.Equal(0, state.GetStatistics().LatePongs);
    }

    [Fact]
    public void StartPing_NonceSourceRepeatsAnOutstandingNonce_DrawsAnother()
    {
        var values = new Queue<ulong>(new ulong[] { 7, 7, 8 });
        var state = new PingState(PingOptions.Default, _time, values.Dequeue);
        Assert.Equal(7UL, state.StartPing());
        Assert.Equal(8UL, state.StartPing());
        Assert.Equal(2, state.PendingPings);
    }

    [Fact]
    public void StartPing_NonceSourceStuckOnOneValue_ThrowsClearError()
    {
        var state = new PingState(PingOptions.Default, _time, () => 42);
        state.StartPing();
        var error = Assert.Throws<InvalidOperationException>(() => state.StartPing());
        Assert.Contains("nonce source", error.Message);
    }

    [Fact]
    public void Ctor_InvalidOptions_ThrowsNamingEachSetting()
    {
        var options = PingOptions.Default with { PongTimeout = TimeSpan.Zero, MaxMissedPongs = 0 };
        var error = Assert.Throws<ArgumentException>(() => new PingState(options, _time, () => 1));
        Assert.Contains(nameof(PingOptions.PongTimeout), error.Message);
        Assert.Contains(nameof(PingOptions.MaxMissedPongs), error.Message);
    }

    [Fact]
    public void Check_MissedLimitReachedButRequestedDataRecent_Keeps()
    {
        var state = NewState();
        for (int i = 0; i < 3; i++)
        {
            state.StartPing();
            Advance(30);
        }
        Advance(50);
        state.OnRequestedDataReceived();
        Advance(20);

        var decision = state.Check(lenient: false);

        Assert.Equal(LivenessAction.Keep, decision.Action);
        Assert.Equal(3, decision.MissedPongs);
        Assert.Contains("delivered requested data", decision.Reason);
    }

    [Fact]
    public void Check_RequestedDataOlderThanPongTimeout_NoLongerProtects()
    {
        var state = NewState();
        state.OnRequestedDataReceived();
        for (int i = 0; i < 3; i++)
        {
            state.StartPing();
            Advance(30);
        }
        Advance(61);

        Assert.Equal(LivenessAction.Disconnect, state.Check(lenient: false).Action);
    }

    [Fact]
    public void Check_CalledFromManyThreadsWithPongs_CountsStayConsistent()
    {
        var state = NewState();
        var nonces = Enumerable.Range(0, 1000).Select(_ => state.StartPing()).ToArray();
        Parallel.ForEach(nonces, nonce =>
        {
            state.OnPong(nonce);
            state.Check(lenient: false);
        });
        Assert.Equal(0, state.PendingPings);
        Assert.Equal(0, state.UnknownPongs);
        Assert.Equal(0, state.MissedPongs);
        Assert.Equal(TimeSpan.Zero, state.LastRtt);
    }

    [Fact]
    public void GetNextDeadline_NewConnection_IsNow()
    {
        var state = NewState();
        Assert.Equal(_time.GetUtcNow(), state.GetNextDeadline(lenient: false));
    }

    [Fact]
    public void GetNextDeadline_AfterAPing_IsTheNextPingForTheClassOfPeer()
    {
        var state = NewState();
        var sent = _time.GetUtcNow();
        state.StartPing();
        state.OnPong(_nonce - 1);

        Assert.Equal(sent + TimeSpan.FromSeconds(30), state.GetNextDeadline(lenient: false));
        Assert.Equal(sent + TimeSpan.FromSeconds(15), state.GetNextDeadline(lenient: true));
    }

    [Fact]
    public void GetNextDeadline_PingOutstandingWithATimeoutShorterThanTheInterval_IsJustAfterTheTimeout()
    {
        var options = PingOptions.Default with { PingInterval = TimeSpan.FromSeconds(60), PongTimeout = TimeSpan.FromSeconds(20) };
        var state = NewState(options);
        var sent = _time.GetUtcNow();
        state.StartPing();

        var deadline = state.GetNextDeadline(lenient: false);

        Assert.Equal(sent + TimeSpan.FromSeconds(20) + TimeSpan.FromTicks(1), deadline);
        _time.SetUtcNow(deadline);
        state.Check(lenient: false);
        Assert.Equal(1, state.MissedPongs);
    }

    [Fact]
    public void Poll_PingDue_StartsOneAndReturnsItsNonce()
    {
        var state = NewState();

        var first = state.Poll(lenient: false);
        var again = state.Poll(lenient: false);

        Assert.Equal(100UL, first.PingNonce);
        Assert.Null(again.PingNonce);
        Assert.Equal(1, state.PendingPings);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(30), again.NextDeadline);
    }

    [Fact]
    public void Poll_AtTheMissedLimit_DisconnectsAndSendsNoPing()
    {
        var state = NewState(PingOptions.Default with { MaxMissedPongs = 1, PongTimeout = TimeSpan.FromSeconds(5) });
        state.Poll(lenient: false);
        Advance(6);

        var step = state.Poll(lenient: false);

        Assert.True(step.Decision.ShouldDisconnect);
        Assert.Null(step.PingNonce);
    }

    [Fact]
    public void Check_KeepDecisions_ReasonNamesTheMissedCountAndTheLimitOfTheClassAskedFor()
    {
        // Keep reasons of small counts are made once and reused; larger ones are formatted: both must read the same.
        var state = NewState(PingOptions.Default with { LenientMaxMissedPongs = 12 });
        Assert.Equal("ok (missed 0 of 3 pongs)", state.Check(lenient: false).Reason);

        state.StartPing();
        Advance(91);
        var ordinary = state.Check(lenient: false);
        var lenient = state.Check(lenient: true);

        Assert.Equal(LivenessAction.Keep, ordinary.Action);
        Assert.Equal("ok (missed 1 of 3 pongs)", ordinary.Reason);
        Assert.Equal("ok (missed 1 of 12 pongs)", lenient.Reason);
    }
}
