using System.Diagnostics;

namespace TimeCoin.Benchmarks;

/// <summary>
/// Ends a catch-up loop that stopped making progress: <see cref="Observe"/> is called with the height on every poll,
/// and throws once the height has not changed for the limit. Shared by the <c>sync</c> and <c>ibd</c> benchmarks.
/// </summary>
internal sealed class NoProgressWatchdog(TimeSpan limit, long targetHeight)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private long _lastHeight = long.MinValue;
    private TimeSpan _lastProgress;

    /// <summary>Records <paramref name="height"/>; throws when it has been the same for longer than the limit.</summary>
    /// <param name="height">The syncing node's height now.</param>
    /// <param name="describe">What the node reports (peers, best height, last error), for the message.</param>
    /// <exception cref="TimeoutException">No progress for longer than the limit.</exception>
    public void Observe(long height, Func<string> describe)
    {
        if (height != _lastHeight)
        {
            _lastHeight = height;
            _lastProgress = _watch.Elapsed;
            return;
        }
        if (_watch.Elapsed - _lastProgress > limit)
            throw new TimeoutException($"no progress for {limit.TotalSeconds} s at height {height} of {targetHeight} ({describe()})");
    }
}
