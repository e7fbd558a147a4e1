using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Config;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Hosting;

/// <summary>Runs one node in the foreground for <c>time-node start</c> until Ctrl+C, SIGTERM or RPC <c>stop</c>.</summary>
internal static class NodeRunner
{
    public static async Task<int> RunAsync(NodeConfig config, TextWriter output, TextWriter error)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
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

        using var loggerFactory = Logging.CreateConsole(LogLevel.Information);
        TimeNode node;
        try
        {
            node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or TransportException)
        {
            error.WriteLine($"time-node: {ex.Message}");
            return 1;
        }

        await using (node)
        {
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; node.RequestStop(); };
            Console.CancelKeyPress += onCancel;
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; node.RequestStop(); });
            output.WriteLine($"time-node running on {options.Chain.NetworkName} (data {options.DataDirectory}); Ctrl+C to stop.");
            await node.StopRequested;
            Console.CancelKeyPress -= onCancel;
        }
        return 0;
    }
}
