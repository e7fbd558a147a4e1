using System.Net;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The Critical "whitelisted peer disconnected" line is the event the analysis counts: only the loss of the last
/// connection to a whitelisted peer for a reason other than an orderly goodbye (issue 9, finding 8).
/// </summary>
public class WhitelistedDisconnectLogTests
{
    private static readonly IPAddress IpA = IPAddress.Parse("10.2.0.1");
    private static readonly IPAddress IpB = IPAddress.Parse("10.2.0.2");

    private static ConnectionManagerOptions Options(IPAddress self, IPAddress other) => new()
    {
        ListenEndPoint = new IPEndPoint(self, 24200),
        DefaultPort = 24200,
        WhitelistedPeers = [other.ToString()],
        TargetOutbound = 0,
        DialInterval = TimeSpan.FromMilliseconds(20),
        Reconnect = new ReconnectBackoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(100)),
        // Every peer here reads, so a goodbye is written at once and a stop never waits this long; the default 2 s is
        // real time, which a loaded machine can spend before the stopping node's loop runs (the goodbye is then cut
        // off and the remote reads a bare close, which is what these tests tell apart from a goodbye).
        GoodbyeTimeout = TimeSpan.FromSeconds(30),
    };

    private static int Criticals(CapturingLoggerFactory logs) =>
        logs.Entries.Count(e => e.Level == LogLevel.Critical && e.Message.Contains("Whitelisted peer", StringComparison.Ordinal));

    [Fact]
    public async Task Duplicate_WhitelistedNodeConnectsTwice_OneConnectionKeptAndNoCriticalLine()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a and b connected");

        // A second connection from b's address with b's key (as when both dial each other at once): a keeps one of
        // the two by the duplicate rule and closes the other in order.
        await using var second = await RawPeer.ConnectAsync(network.CreateTransport(IpB), a.EndPoint, b.Key);
        second.StartDraining();

        await Until(() => a.Manager.RecentDisconnects.Any(d => d.Reason.Contains("duplicate", StringComparison.Ordinal)),
            "a duplicate connection was closed");
        await Task.Delay(200);
        Assert.NotNull(a.PeerFor(b));
        Assert.Equal(0, Criticals(logsA));
    }

    [Fact]
    public async Task Goodbye_WhitelistedPeerShutsDownCleanly_NoCriticalLineAndTheReasonSaysGoodbye()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a connected to b");

        await b.DisposeAsync();

        await Until(() => a.Manager.Peers.Count == 0, "a sees b go");
        var record = Assert.Single(a.Manager.RecentDisconnects);
        Assert.StartsWith("goodbye", record.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Criticals(logsA));
    }

    /// <summary>
    /// The cause of the lost goodbye: the remote had finished its side of the handshake (it had our VerAck) and
    /// counted the connection as live while ours still waited for its VerAck; a stop then cancelled our handshake and
    /// closed the connection without a word, which the remote read as a failure. A stop now lets handshakes in
    /// progress finish (within the goodbye timeout) and says goodbye on each that completes.
    /// </summary>
    [Fact]
    public async Task Stop_HandshakeCompletedOnlyOnTheRemoteSide_RemoteReadsGoodbye()
    {
        var network = new InMemoryNetwork();
        var node = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await node.StartAsync();
        using var key = KeyPair.Generate();
        var info = InfoFor(key);
        await using var remote = await RawPeer.ConnectAsync(network.CreateTransport(IpA), node.EndPoint, key, info, handshake: false);
        // The remote's half of the handshake: its version, the node's version and VerAck (the remote is done now).
        Assert.True(await remote.Writer.WriteAsync(info.ToVersionMessage(7, DateTimeOffset.UtcNow.ToUnixTimeSeconds())));
        var version = await remote.ExpectAsync<VersionMessage>();
        await remote.ExpectAsync<VerAckMessage>();

        // The node stops while it still waits for the remote's VerAck; the VerAck arrives after the stop began.
        var stopping = node.DisposeAsync().AsTask();
        await remote.Writer.WriteAsync(new VerAckMessage(HandshakeProof.Sign(key, info.NetworkMagic, version.Nonce, version.NodeId)));

        var messages = await remote.ReadUntilClosedAsync();
        await stopping;
        var goodbye = Assert.IsType<GoodbyeMessage>(Assert.Single(messages));
        Assert.Equal("node stopping", goodbye.Reason);
    }

    /// <summary>
    /// The window the review found: a handshake completes and passes the "stopping?" check just before the stop begins,
    /// and registers only after the stop took its list of peers to say goodbye to. The node is held exactly there (its
    /// first <see cref="PeerConnection"/> logger is created between the check and the registration) until the stop
    /// has taken its list: either it logged its goodbye round, or it went on to cancel the node's work (a dial that
    /// never completes sees its token cancelled). The remote counted the connection as live, so it must read a goodbye.
    /// </summary>
    [Fact]
    public async Task Stop_HandshakeRegistersAfterTheStopTookItsPeers_RemoteReadsGoodbye()
    {
        var network = new InMemoryNetwork();
        var unreachable = new IPEndPoint(IPAddress.Parse("10.2.0.9"), 24200);
        var transport = new PendingDialTransport(network.CreateTransport(IpB), unreachable);
        var logs = new RegistrationGateLoggerFactory();
        var node = new TestNode(transport, Options(IpB, IpA) with
        {
            WhitelistedPeers = [],
            PersistentPeers = [unreachable.ToString()],
            DialTimeout = TimeSpan.FromMinutes(10),
            GoodbyeTimeout = TimeSpan.FromSeconds(30),
        }, loggers: logs);
        await node.StartAsync();
        Task? stopping = null;
        try
        {
            await transport.Dialing.Task.WaitAsync(TimeSpan.FromSeconds(10));
            var connecting = RawPeer.ConnectAsync(network.CreateTransport(IpA), node.EndPoint);
            await logs.Held.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the node's handshake is done and not yet registered
            await using var remote = await connecting;
            Assert.True(remote.Handshake!.IsSuccess);

            stopping = Task.Run(async () => await node.DisposeAsync());
            await Until(() => transport.DialCancelled.Task.IsCompleted
                              || logs.Entries.Any(e => e.Message.StartsWith("Stopping:", StringComparison.Ordinal)), "the stop has taken its peers");
            logs.Release();

            var messages = await remote.ReadUntilClosedAsync();
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            // What the node sends a new peer at once may come first; the goodbye is the last word.
            var goodbye = Assert.IsType<GoodbyeMessage>(messages.LastOrDefault());
            Assert.Equal("node stopping", goodbye.Reason);
        }
        finally
        {
            logs.Release();
            await (stopping ?? node.DisposeAsync().AsTask()).WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task ConnectionBreaks_WhitelistedPeerLost_CriticalLineLogged()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a connected to b");

        network.BreakConnections(IpB);

        await Until(() => Criticals(logsA) >= 1, "the loss of the whitelisted peer is Critical");
    }

    /// <summary>
    /// A node asked to stop is tearing its connections down anyway: a whitelisted peer it loses without a goodbye in
    /// that time (the devnet's shutdown, where every node stops at once and a goodbye can lose the race with the
    /// peer's close) is not the event the analysis counts, so no Critical line; the loss is still logged and recorded.
    /// </summary>
    [Fact]
    public async Task ConnectionBreaks_AfterThisNodeWasAskedToStop_NoCriticalLineButTheLossIsRecorded()
    {
        var network = new InMemoryNetwork();
        var logsA = new CapturingLoggerFactory();
        await using var a = new TestNode(network.CreateTransport(IpA), Options(IpA, IpB), loggers: logsA);
        await using var b = new TestNode(network.CreateTransport(IpB), Options(IpB, IpA) with { WhitelistedPeers = [] });
        await a.StartAsync();
        await b.StartAsync();
        await Until(() => a.PeerFor(b) is not null, "a connected to b");

        a.Manager.OnNodeStopping();
        network.BreakConnections(IpB);

        await Until(() => a.Manager.RecentDisconnects.Count >= 1, "a recorded the loss");
        Assert.Equal(0, Criticals(logsA));
        Assert.Contains(logsA.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("disconnected", StringComparison.Ordinal));
    }

    [Fact]
    public void Codec_Goodbye_RoundTrips()
    {
        var payload = MessageCodec.Encode(new GoodbyeMessage("node stopping"));

        var decoded = MessageCodec.Decode(MessageType.Goodbye, payload);

        Assert.True(decoded.IsSuccess);
        Assert.Equal("node stopping", Assert.IsType<GoodbyeMessage>(decoded.Message).Reason);
    }

    /// <summary>Holds the first <see cref="PeerConnection"/> logger request (made between a handshake's end and its
    /// registration) until <see cref="Release"/>; records log lines like <see cref="CapturingLoggerFactory"/>.</summary>
    private sealed class RegistrationGateLoggerFactory : ILoggerFactory
    {
        private readonly CapturingLoggerFactory _inner = new();
        private readonly ManualResetEventSlim _release = new();
        private int _held;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message)> Entries => _inner.Entries;

        public void Release() => _release.Set();

        public ILogger CreateLogger(string categoryName)
        {
            if (categoryName == typeof(PeerConnection).FullName && Interlocked.Exchange(ref _held, 1) == 0)
            {
                Held.TrySetResult();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
            return _inner.CreateLogger(categoryName);
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A transport whose dials to one endpoint never complete; says when such a dial starts and when its token is cancelled.</summary>
    private sealed class PendingDialTransport(ITransport inner, IPEndPoint pending) : ITransport
    {
        public TaskCompletionSource Dialing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource DialCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default) =>
            inner.ListenAsync(endpoint, cancellationToken);

        public async ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
        {
            if (!remote.Equals(pending))
                return await inner.DialAsync(remote, cancellationToken);
            Dialing.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                if (cancellationToken.IsCancellationRequested)
                    DialCancelled.TrySetResult();
            }
            throw new InvalidOperationException("unreachable");
        }
    }
}
