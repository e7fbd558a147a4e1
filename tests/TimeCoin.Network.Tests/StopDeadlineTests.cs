using System.IO.Pipelines;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// A stop has one deadline, <see cref="ConnectionManagerOptions.GoodbyeTimeout"/> from its start, on virtual time: a
/// handshake that completes just before it gets a goodbye within what is left of it, not a fresh timeout of its own
/// (which made a stop take up to twice the goodbye timeout).
/// </summary>
public class StopDeadlineTests
{
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.9.0.1");
    private static readonly IPAddress RemoteIp = IPAddress.Parse("10.9.0.2");
    private static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Stop_HandshakeCompletesJustBeforeTheDeadlineAndItsGoodbyeCannotBeWritten_StopEndsAtTheDeadline()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var network = new InMemoryNetwork();
        var transport = new StallAfterHandshakeTransport(network.CreateTransport(NodeIp));
        var node = new TestNode(transport, new ConnectionManagerOptions
        {
            ListenEndPoint = new IPEndPoint(NodeIp, 24200),
            DefaultPort = 24200,
            TargetOutbound = 0,
            MaxAutomaticOutbound = 0,
            GoodbyeTimeout = GoodbyeTimeout,
            Handshake = new HandshakeOptions { Timeout = TimeSpan.FromMinutes(1) },
        }, time);
        await node.StartAsync();
        using var key = KeyPair.Generate();
        var info = InfoFor(key);
        await using var remote = await RawPeer.ConnectAsync(network.CreateTransport(RemoteIp), node.EndPoint, key, info, time, handshake: false);
        Assert.True(await remote.Writer.WriteAsync(info.ToVersionMessage(7, time.GetUtcNow().ToUnixTimeSeconds())));
        var version = await remote.ExpectAsync<VersionMessage>();
        await remote.ExpectAsync<VerAckMessage>();

        // The stop begins while the node waits for the remote's VerAck; the VerAck comes 1 ms before the deadline, and
        // the goodbye that follows cannot be written (the remote does not read, its window is full).
        var stopping = node.Manager.StopAsync();
        time.Advance(GoodbyeTimeout - TimeSpan.FromMilliseconds(1));
        Assert.True(await remote.Writer.WriteAsync(new VerAckMessage(HandshakeProof.Sign(key, info.NetworkMagic, version.Nonce, version.NodeId))));
        await transport.GoodbyeStalled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(stopping.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1)); // the stop's deadline

        var ended = await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(ended == stopping, "the stop is still waiting at its deadline (the late handshake's goodbye has a timeout of its own)");
        await stopping;
        await node.DisposeAsync();
    }

    /// <summary>
    /// Accepted connections whose output stops taking flushes after the handshake (the node's Version and VerAck): the
    /// next flush waits until cancelled, as on a connection whose peer does not read.
    /// </summary>
    private sealed class StallAfterHandshakeTransport(ITransport inner) : ITransport
    {
        public TaskCompletionSource GoodbyeStalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default) =>
            new Listener(this, await inner.ListenAsync(endpoint, cancellationToken));

        public ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default) =>
            inner.DialAsync(remote, cancellationToken);

        private sealed class Listener(StallAfterHandshakeTransport owner, IConnectionListener inner) : IConnectionListener
        {
            public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

            public async ValueTask<ITransportConnection?> AcceptAsync(CancellationToken cancellationToken = default) =>
                await inner.AcceptAsync(cancellationToken) is { } connection ? new Connection(owner, connection) : null;

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }

        private sealed class Connection(StallAfterHandshakeTransport owner, ITransportConnection inner) : ITransportConnection
        {
            public PipeReader Input => inner.Input;
            public PipeWriter Output { get; } = new StallingWriter(owner, inner.Output);
            public IPEndPoint RemoteEndPoint => inner.RemoteEndPoint;
            public IPEndPoint LocalEndPoint => inner.LocalEndPoint;
            public bool IsClosed => inner.IsClosed;
            public void Close() => inner.Close();
            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }

        private sealed class StallingWriter(StallAfterHandshakeTransport owner, PipeWriter inner) : PipeWriter
        {
            private int _flushes;
            private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            {
                if (Interlocked.Increment(ref _flushes) <= 2)
                    return await inner.FlushAsync(cancellationToken);
                owner.GoodbyeStalled.TrySetResult();
                await _cancelled.Task.WaitAsync(cancellationToken);
                return new FlushResult(isCanceled: true, isCompleted: false);
            }

            public override void CancelPendingFlush() => _cancelled.TrySetResult();
            public override void Advance(int bytes) => inner.Advance(bytes);
            public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
            public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
            public override void Complete(Exception? exception = null) => inner.Complete(exception);
        }
    }
}
