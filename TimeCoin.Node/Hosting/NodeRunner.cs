using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Config;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// Runs one node for <c>time-node start</c> on the Generic Host until Ctrl+C, SIGTERM or RPC <c>stop</c>. Under
/// systemd (<c>Type=notify</c>) the host reports readiness once the node has started (listener bound, RPC up) and
/// logs in the journal's format.
/// </summary>
internal static class NodeRunner
{
    public static async Task<int> RunAsync(NodeConfig config, LogLevel logLevel, string? logFile, TextWriter output, TextWriter error)
    {
        if (!string.IsNullOrWhiteSpace(logFile) && Logging.CheckLogFile(logFile) is { } logFileError)
        {
            error.WriteLine($"time-node: {logFileError}");
            return 1;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        // The data directory first: a masternode's key is created in it, and an unusable one is named by its key.
        var dataDir = config.ResolveDataDir(home);
        try
        {
            Directory.CreateDirectory(dataDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"time-node: data_dir '{dataDir}' cannot be created: {ex.Message}");
            return 1;
        }

        TimeNodeOptions options;
        try
        {
            options = TimeNodeOptionsBuilder.Build(config, home, System.Net.Dns.GetHostAddresses, out var warnings);
            foreach (var warning in warnings)
                error.WriteLine($"time-node: warning: {warning}");
        }
        catch (InvalidDataException ex)
        {
            error.WriteLine($"time-node: {ex.Message}");
            return 1;
        }

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        Logging.Configure(builder.Logging, logLevel, logFile);
        builder.Services.AddSystemd();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton(options);
        builder.Services.AddHostedService<TimeNodeHostedService>();
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (NodeStartException ex)
        {
            error.WriteLine($"time-node: {Describe(ex, config)}");
            return 1;
        }
        catch (TransportException ex)
        {
            // The only transport work at start is binding the peer-to-peer listener.
            error.WriteLine($"time-node: p2p.port {config.P2p.Port} (p2p.listen {config.P2p.Listen}): {ex.Message}");
            return 1;
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            // Opening is checked by NodeDatabase.Open; this is a database that opened but failed when it was first read.
            error.WriteLine($"time-node: the node database in '{dataDir}' cannot be read: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            error.WriteLine($"time-node: {ex.Message}");
            return 1;
        }
        output.WriteLine($"time-node running on {options.Chain.NetworkName} (data {options.DataDirectory}); Ctrl+C to stop.");
        await host.WaitForShutdownAsync();
        // A node that stopped because a core loop failed exits 1, so systemd's Restart=on-failure restarts it.
        return host.Services.GetServices<IHostedService>().OfType<TimeNodeHostedService>().Any(s => s.Node?.Failed == true) ? 1 : 0;
    }

    /// <summary>A listener that failed at start, named by its config key.</summary>
    private static string Describe(NodeStartException ex, NodeConfig config) => ex.Setting switch
    {
        NodeStartSetting.RpcEndPoint => $"rpc.port {config.Rpc.Port} (rpc.bind {config.Rpc.Bind}): {ex.Message}",
        NodeStartSetting.RpcCookieFile when ex.InnerException is TimeCoin.Node.Rpc.RpcCookieFileException { InnerException: { } cause } cookie =>
            $"rpc.cookie_file '{cookie.Path}' cannot be written: {cause.Message}",
        NodeStartSetting.MetricsListen => $"metrics.listen {config.Metrics.Listen}: {ex.Message}",
        _ => ex.Message,
    };
}
