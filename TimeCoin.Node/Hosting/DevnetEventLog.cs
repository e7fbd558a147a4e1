using Microsoft.Extensions.Logging;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// The last few log entries and chaos events of a live devnet, shown under its table (console logging would tear
/// the table apart). A logger provider, so the nodes' own warnings land here too.
/// </summary>
internal sealed class DevnetEventLog(int capacity, LogLevel minimum) : ILoggerProvider
{
    private readonly Queue<string> _lines = new();
    private readonly object _gate = new();

    /// <summary>Adds one line, stamped with the UTC time.</summary>
    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss} {line}");
            while (_lines.Count > capacity)
                _lines.Dequeue();
        }
    }

    /// <summary>The kept lines, oldest first.</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (_gate)
            return _lines.ToList();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(DevnetEventLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Add($"{logLevel.ToString().ToLowerInvariant()[..4]} {category}: {formatter(state, exception)}");
        }
    }

    private readonly LogLevel _minimum = minimum;
}
