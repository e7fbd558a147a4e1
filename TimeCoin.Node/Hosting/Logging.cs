using Microsoft.Extensions.Logging;

namespace TimeCoin.Node.Hosting;

/// <summary>The console logging both commands use: one line per entry with a UTC timestamp.</summary>
internal static class Logging
{
    public static ILoggerFactory CreateConsole(LogLevel minimum) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));
}
