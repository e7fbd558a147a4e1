using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Liveness;

namespace TimeCoin.Core.Tests.Liveness;

/// <summary>
/// Drives a <see cref="PingState"/> the way the connection loop will: the clock advances in small steps, a ping is
/// sent whenever one is due, the simulated peer's pongs are delivered when they arrive, and the state is checked
/// every <see cref="PingOptions.CheckInterval"/> (starting at <c>checkPhase</c>).
/// </summary>
internal sealed class ConnectionLoopDriver
{
    private readonly FakeTimeProvider _time;
    private readonly PingState _state;
    private readonly PingOptions _options;
    private readonly DateTimeOffset _start;
    private readonly List<(DateTimeOffset At, ulong Nonce)> _inFlightPongs = new();
    private ulong _nextNonce = 1;

    public ConnectionLoopDriver(PingOptions? options = null)
    {
        _options = options ?? PingOptions.Default;
        _time = new FakeTimeProvider();
        _start = _time.GetUtcNow();
        _state = new PingState(_options, _time, () => _nextNonce++);
    }

    public PingState State => _state;

    public FakeTimeProvider Time => _time;

    /// <summary>Seconds since the driver started.</summary>
    public double Elapsed => (_time.GetUtcNow() - _start).TotalSeconds;

    /// <summary>Elapsed seconds at which the first ping went unanswered (sent and never answered in time).</summary>
    public double? FirstUnansweredPingAt { get; private set; }

    public List<LivenessDecision> Decisions { get; } = new();

    /// <summary>
    /// Runs until the state says disconnect or <paramref name="duration"/> passes. Returns the elapsed seconds of the
    /// disconnect, or null when the peer stayed connected.
    /// </summary>
    /// <param name="duration">How long to run.</param>
    /// <param name="lenientAt">Whether the peer is lenient at a given elapsed second.</param>
    /// <param name="pongDelayFor">Delay of the peer's answer to a ping sent at a given elapsed second; null = never answered.</param>
    /// <param name="dataDeliveredAt">Whether the peer delivers requested data at a given elapsed second.</param>
    /// <param name="checkPhase">Offset of the check timer from the connection start.</param>
    /// <param name="step">Clock step.</param>
    public double? Run(
        TimeSpan duration,
        Func<double, bool> lenientAt,
        Func<double, TimeSpan?> pongDelayFor,
        Func<double, bool>? dataDeliveredAt = null,
        TimeSpan? checkPhase = null,
        TimeSpan? step = null)
    {
        var tick = step ?? TimeSpan.FromMilliseconds(500);
        var nextCheck = _time.GetUtcNow() + (checkPhase ?? _options.CheckInterval);
        var end = _time.GetUtcNow() + duration;
        while (_time.GetUtcNow() <= end)
        {
            var now = _time.GetUtcNow();
            foreach (var pong in _inFlightPongs.Where(p => p.At <= now).ToList())
            {
                _inFlightPongs.Remove(pong);
                _state.OnPong(pong.Nonce);
            }
            if (dataDeliveredAt?.Invoke(Elapsed) == true)
                _state.OnRequestedDataReceived();
            bool lenient = lenientAt(Elapsed);
            if (_state.IsPingDue(lenient))
            {
                ulong nonce = _state.StartPing();
                var delay = pongDelayFor(Elapsed);
                if (delay is { } d)
                    _inFlightPongs.Add((now + d, nonce));
                else
                    FirstUnansweredPingAt ??= Elapsed;
            }
            if (now >= nextCheck)
            {
                nextCheck += _options.CheckInterval;
                var decision = _state.Check(lenient);
                Decisions.Add(decision);
                if (decision.ShouldDisconnect)
                    return Elapsed;
            }
            _time.Advance(tick);
        }
        return null;
    }
}
