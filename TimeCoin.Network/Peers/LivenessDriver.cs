using TimeCoin.Core.Liveness;

namespace TimeCoin.Network.Peers;

/// <summary>
/// The thin driver of one connection's <see cref="PingState"/>: a one-shot timer on the injected
/// <see cref="TimeProvider"/> that wakes at the state's next deadline (next ping, next pong timeout), polls it, sends the
/// ping it asks for and carries out a disconnect. Because it wakes at deadlines rather than on a fixed tick, pings go
/// out at their exact interval (30 s ordinary, 15 s keep-alive by default) and a silent peer is cut at the exact end of
/// its window. It wakes at nothing else: a change of the peer's class (whitelisted or not) is told to it
/// (<see cref="OnClassMayHaveChanged"/>, called by the connection manager for every whitelist change covering the
/// peer), and when the class did change it polls at once. An idle connection costs one timer that fires only when due:
/// one wake per ping.
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
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _stopped;
    private bool _polling;
    private bool _recheck;
    private bool _lastLenient;
    private long _polls;

    /// <summary>Creates a driver; nothing happens until <see cref="Start"/>.</summary>
    /// <param name="state">The connection's liveness state.</param>
    /// <param name="time">The clock (real, fake in tests, virtual in the simulation).</param>
    /// <param name="maxSleep">The wait before polling again after a poll failed (<see cref="PingOptions.CheckInterval"/>).</param>
    /// <param name="isLenient">Reads the peer's class now (true when its whitelist entry grants lenient liveness).</param>
    /// <param name="sendPing">Sends a ping with the nonce; a ping that cannot be sent simply goes unanswered.</param>
    /// <param name="disconnect">Closes the connection for the decision's reason. Called at most once.</param>
    /// <param name="onError">
    /// Told of an exception thrown by a callback or the state during a poll (the driver then polls again after
    /// <paramref name="maxSleep"/>) or by <paramref name="isLenient"/> in <see cref="OnClassMayHaveChanged"/>; an
    /// exception never escapes into the timer or the caller.
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

    /// <summary>How many polls ran (the timer's wakes, plus the first poll at <see cref="Start"/>).</summary>
    public long Polls { get { lock (_gate) return _polls; } }

    /// <summary>
    /// The peer's class may have changed (a whitelist entry covering it was added, changed or removed). When the class
    /// the last poll used differs from the class now, the driver polls at once (on its timer, due now), so the new
    /// limits and ping interval apply from this moment; otherwise nothing happens. Cheap; any thread.
    /// </summary>
    public void OnClassMayHaveChanged()
    {
        bool lenient;
        try
        {
            lenient = _isLenient();
        }
        catch (Exception ex)
        {
            _onError?.Invoke(ex);
            return;
        }
        lock (_gate)
        {
            if (_stopped || _timer is null)
                return; // not started: Start polls with the class of that moment
            if (_polling)
            {
                _recheck = true; // the poll in progress may have read the old class: it re-arms for now
                return;
            }
            if (lenient == _lastLenient)
                return;
            NextWakeAt = _time.GetUtcNow();
            _timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

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
        lock (_gate)
        {
            if (_stopped)
                return;
            if (_polling)
            {
                _recheck = true; // a poll is running on another thread: it polls again at once when done
                return;
            }
            _polling = true;
            _polls++;
        }
        TimeSpan sleep;
        bool lenient = _lastLenient;
        try
        {
            lenient = _isLenient();
            var step = _state.Poll(lenient);
            if (step.Decision.ShouldDisconnect)
            {
                lock (_gate)
                    _polling = false;
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
        // Whole milliseconds, at least one: a real timer may fire a little before a sub-millisecond deadline, and a
        // zero sleep would then spin until the deadline passes.
        sleep = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(sleep.TotalMilliseconds)));
        lock (_gate)
        {
            _polling = false;
            if (_stopped || _timer is null)
                return;
            _lastLenient = lenient;
            if (_recheck)
            {
                // The class changed (or a wake came) while this poll ran: poll again now rather than at the deadline
                // this poll computed with what may be the old class.
                _recheck = false;
                sleep = TimeSpan.Zero;
            }
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
