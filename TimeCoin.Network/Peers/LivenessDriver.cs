using TimeCoin.Core.Liveness;

namespace TimeCoin.Network.Peers;

/// <summary>
/// The thin driver of one connection's <see cref="PingState"/>: a one-shot timer on the injected
/// <see cref="TimeProvider"/> that wakes at the state's next deadline (next ping, next pong timeout), polls it, sends the
/// ping it asks for and carries out a disconnect. Because it wakes at deadlines rather than on a fixed tick, pings go
/// out at their exact interval (30 s ordinary, 15 s keep-alive by default) and a silent peer is cut at the exact end of
/// its window. It never sleeps longer than <see cref="PingOptions.CheckInterval"/>, so whitelisting or un-whitelisting
/// a connected peer applies within that time. An idle connection costs one timer that fires only when due.
/// </summary>
internal sealed class LivenessDriver : IDisposable
{
    private readonly PingState _state;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxSleep;
    private readonly Func<bool> _isLenient;
    private readonly Action<ulong> _sendPing;
    private readonly Action<LivenessDecision> _disconnect;
    private readonly Action<Exception>? _onError;
    private readonly object _gate = new();
    private ITimer? _timer;
    private bool _stopped;

    /// <summary>Creates a driver; nothing happens until <see cref="Start"/>.</summary>
    /// <param name="state">The connection's liveness state.</param>
    /// <param name="time">The clock (real, fake in tests, virtual in the simulation).</param>
    /// <param name="maxSleep">The longest sleep between two polls (<see cref="PingOptions.CheckInterval"/>).</param>
    /// <param name="isLenient">Reads the peer's class now (true when its whitelist entry grants lenient liveness).</param>
    /// <param name="sendPing">Sends a ping with the nonce; a ping that cannot be sent simply goes unanswered.</param>
    /// <param name="disconnect">Closes the connection for the decision's reason. Called at most once.</param>
    /// <param name="onError">
    /// Told of an exception thrown by a callback or the state during a poll (the driver then polls again after
    /// <paramref name="maxSleep"/>); an exception never escapes into the timer.
    /// </param>
    public LivenessDriver(PingState state, TimeProvider time, TimeSpan maxSleep, Func<bool> isLenient, Action<ulong> sendPing,
        Action<LivenessDecision> disconnect, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(isLenient);
        ArgumentNullException.ThrowIfNull(sendPing);
        ArgumentNullException.ThrowIfNull(disconnect);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxSleep, TimeSpan.Zero);
        _state = state;
        _time = time;
        _maxSleep = maxSleep;
        _isLenient = isLenient;
        _sendPing = sendPing;
        _disconnect = disconnect;
        _onError = onError;
    }

    /// <summary>When the driver will poll next, or null when stopped or not started.</summary>
    public DateTimeOffset? NextWakeAt { get; private set; }

    /// <summary>Polls now (the first ping goes out at once) and arms the timer for the next deadline.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_stopped || _timer is not null)
                return;
            _timer = _time.CreateTimer(static s => ((LivenessDriver)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        OnTimer();
    }

    /// <summary>
    /// Stops the timer. No poll starts afterwards; a poll already running on another thread re-checks before each
    /// side effect, so at most the ping or disconnect it was about to issue can still go out.
    /// </summary>
    public void Dispose()
    {
        ITimer? timer;
        lock (_gate)
        {
            _stopped = true;
            timer = _timer;
            _timer = null;
            NextWakeAt = null;
        }
        timer?.Dispose();
    }

    private void OnTimer()
    {
        if (IsStopped())
            return;
        TimeSpan sleep;
        try
        {
            bool lenient = _isLenient();
            var step = _state.Poll(lenient);
            if (step.Decision.ShouldDisconnect)
            {
                if (IsStopped())
                    return;
                Dispose();
                _disconnect(step.Decision);
                return;
            }
            if (step.PingNonce is { } nonce && !IsStopped())
                _sendPing(nonce);
            sleep = step.NextDeadline - _time.GetUtcNow();
        }
        catch (Exception ex)
        {
            _onError?.Invoke(ex);
            sleep = _maxSleep;
        }
        if (sleep > _maxSleep)
            sleep = _maxSleep;
        // Whole milliseconds, at least one: a real timer may fire a little before a sub-millisecond deadline, and a
        // zero sleep would then spin until the deadline passes.
        sleep = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(sleep.TotalMilliseconds)));
        lock (_gate)
        {
            if (_stopped || _timer is null)
                return;
            NextWakeAt = _time.GetUtcNow() + sleep;
            _timer.Change(sleep, Timeout.InfiniteTimeSpan);
        }
    }

    private bool IsStopped()
    {
        lock (_gate)
            return _stopped;
    }
}
