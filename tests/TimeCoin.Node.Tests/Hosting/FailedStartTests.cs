using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Services;
using TimeCoin.Node.Storage;
using TimeCoin.Node.Sync;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hosting;

public sealed class FailedStartTests
{
    /// <summary>
    /// A start that fails after the policy and registry persistence started (here: an invalid sync option, found when the
    /// sync coordinator is built) closes the database; the registry's periodic save must stop with it, not go on writing
    /// to the closed database every 5 minutes.
    /// </summary>
    [Fact]
    public async Task StartAsync_FailsAfterPersistenceStarted_RegistryStopsSaving()
    {
        using var dir = new TempDirectory();
        using var key = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], time.GetUtcNow().ToUnixTimeSeconds(), 1);
        var logs = new ErrorLines();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dir.Path,
            Identity = key,
            Connections = new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
            Sync = new SyncCoordinatorOptions { Interval = TimeSpan.Zero },
        }, new TcpTransport(), time, logs));

        time.Advance(MasternodeRegistryPersistence.SaveInterval * 2);

        Assert.Empty(logs.Lines);
        NodeDatabase.Open(dir.Path).Dispose(); // and the data directory is free
    }

    /// <summary>Keeps the Error and Critical lines every logger writes.</summary>
    private sealed class ErrorLines : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
                Lines.Enqueue($"{formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
        }
    }
}
