using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// The node's logging: one line per entry with a UTC timestamp on the console; under systemd the journal's format
/// (<c>&lt;6&gt;</c> priority prefixes, no timestamp: the journal adds its own); optionally a file as well.
/// </summary>
internal static class Logging
{
    /// <summary>The largest log file before it rolls over to a new one; 10 files are kept.</summary>
    public const long LogFileSizeLimitBytes = 100L * 1024 * 1024;

    public static ILoggerFactory CreateConsole(LogLevel minimum) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));

    /// <summary>
    /// Sets up the providers of <paramref name="builder"/>: the console (systemd's journal format when running as a
    /// systemd service) and, when <paramref name="logFile"/> is set, that file (size-limited, rolled over).
    /// </summary>
    public static void Configure(ILoggingBuilder builder, LogLevel minimum, string? logFile)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(minimum);
        // The host logs a failed start ("Hosting failed to start") with the whole stack trace; `time-node start` reports
        // that failure itself in one line ("time-node: ..."), so an operator sees the reason, not .NET's internals.
        builder.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (SystemdHelpers.IsSystemdService())
            builder.AddSystemdConsole(o => o.IncludeScopes = false);
        else
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            });
        if (!string.IsNullOrWhiteSpace(logFile))
        {
            // AddSerilog lets every entry through to Serilog, so the level is applied here as well.
            var file = new LoggerConfiguration()
                .MinimumLevel.Is(ToSerilog(minimum))
                .WriteTo.File(Path.GetFullPath(logFile),
                    outputTemplate: "{UtcTimestamp:yyyy-MM-dd HH:mm:ss.fff}Z {Level:u4} {SourceContext}: {Message:lj}{NewLine}{Exception}",
                    fileSizeLimitBytes: LogFileSizeLimitBytes, rollOnFileSizeLimit: true, retainedFileCountLimit: 10,
                    flushToDiskInterval: TimeSpan.FromSeconds(1))
                .CreateLogger();
            builder.AddSerilog(file, dispose: true);
        }
    }

    /// <summary>
    /// Checks that the log file can be written: creates its directory and opens it for append once. Serilog's file
    /// sink swallows the error of a file it cannot open, so without this check the file log would silently be missing.
    /// </summary>
    /// <returns>Why the file cannot be written (the path named), or null when it can.</returns>
    public static string? CheckLogFile(string logFile)
    {
        var path = Path.GetFullPath(logFile);
        try
        {
            if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
                Directory.CreateDirectory(directory);
            using var _ = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"--log-file '{logFile}' cannot be opened: {ex.Message}";
        }
    }

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };

    /// <summary>Parses a <c>--log-level</c> value (trace, debug, information/info, warning/warn, error, critical).</summary>
    public static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "trace": level = LogLevel.Trace; return true;
            case "debug": level = LogLevel.Debug; return true;
            case "information" or "info": level = LogLevel.Information; return true;
            case "warning" or "warn": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            case "critical": level = LogLevel.Critical; return true;
            default: level = LogLevel.None; return false;
        }
    }
}
