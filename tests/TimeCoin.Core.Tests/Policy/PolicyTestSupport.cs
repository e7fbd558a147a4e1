using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Policy;

namespace TimeCoin.Core.Tests.Policy;

internal static class PolicyTestSupport
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider NewClock() => new(Start);

    public static PeerPolicy NewPolicy(FakeTimeProvider clock, PeerPolicyOptions? options = null, ILogger<PeerPolicy>? logger = null) =>
        new(options ?? new PeerPolicyOptions(), clock, logger);

    public static IPAddress Ip(string text) => IPAddress.Parse(text);

    public static IpRange Range(string text) => IpRange.Parse(text);
}

internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
