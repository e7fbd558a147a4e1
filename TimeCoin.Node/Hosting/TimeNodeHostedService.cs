using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TimeCoin.Network.Transport;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// The node as a Generic Host service: starts a <see cref="TimeNode"/> on TCP and the system clock, asks the host to
/// stop when the node does (RPC <c>stop</c>, a failed core loop), and stops the node when the host stops (SIGTERM).
/// </summary>
internal sealed class TimeNodeHostedService(TimeNodeOptions options, IHostApplicationLifetime lifetime, ILoggerFactory loggerFactory)
    : IHostedService
{
    private TimeNode? _node;

    /// <summary>The running node (null before start).</summary>
    public TimeNode? Node => _node;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, loggerFactory, cancellationToken);
        _ = _node.StopRequested.ContinueWith(_ => lifetime.StopApplication(), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_node is not null)
            await _node.DisposeAsync();
    }
}
