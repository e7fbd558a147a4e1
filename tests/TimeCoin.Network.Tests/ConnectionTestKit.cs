using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

/// <summary>Helpers for connection-layer tests: a node (manager + policy + registry + handler), a raw peer, polling.</summary>
internal static class ConnectionTestKit
{
    public static readonly ChainParameters Chain = ChainParameters.Devnet;
    public static readonly Hash256 Tip = TestData.HashOf(7);

    /// <summary>Waits (real time) until <paramref name="condition"/> holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(5);
        }
    }

    public static LocalNodeInfo InfoFor(KeyPair key, NetworkMagic? magic = null, string? name = null, Hash256? genesis = null, uint version = LocalNodeInfo.CurrentProtocolVersion) => new(
        version, 1, magic ?? NetworkMagic.For(Chain), name ?? Chain.NetworkName, genesis ?? Chain.GenesisHash, key.PublicKey,
        null, 3, Tip, false, "raw-test-peer");
}

/// <summary>Records what the node's message handler saw and answers GetHeaders with one header.</summary>
internal sealed class TestMessageHandler : IPeerMessageHandler
{
    public ConcurrentQueue<IPeer> Connected { get; } = new();
    public ConcurrentQueue<(IPeer Peer, string Reason)> Disconnected { get; } = new();
    public ConcurrentQueue<(IPeer Peer, NetworkMessage Message)> Messages { get; } = new();

    public void OnPeerConnected(IPeer peer) => Connected.Enqueue(peer);

    public async ValueTask OnMessageAsync(IPeer peer, NetworkMessage message, CancellationToken cancellationToken)
    {
        Messages.Enqueue((peer, message));
        if (message is GetHeadersMessage)
            await peer.SendAsync(new HeadersMessage([new byte[] { 1, 2, 3 }]), cancellationToken);
    }

    public void OnPeerDisconnected(IPeer peer, string reason) => Disconnected.Enqueue((peer, reason));
}

/// <summary>One node's connection layer with its own key, policy and masternode registry.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private static int _nextSeed;

    public TestNode(ITransport transport, ConnectionManagerOptions options, TimeProvider? time = null, PeerPolicyOptions? policyOptions = null,
        KeyPair? key = null, int? seed = null, ILoggerFactory? loggers = null)
    {
        Time = time ?? TimeProvider.System;
        Key = key ?? KeyPair.Generate();
        Policy = new PeerPolicy(policyOptions ?? new PeerPolicyOptions(), Time);
        Masternodes = new HeartbeatRegistry(HeartbeatOptions.Default, Time, ConnectionTestKit.Chain.NetworkName);
        Handler = new TestMessageHandler();
        Manager = new ConnectionManager(transport, Key, ConnectionTestKit.Chain, () => (3, ConnectionTestKit.Tip), Policy, Masternodes, Handler,
            options, Time, loggers ?? NullLoggerFactory.Instance, seed ?? Interlocked.Increment(ref _nextSeed));
    }

    public TimeProvider Time { get; }
    public KeyPair Key { get; }
    public PeerPolicy Policy { get; }
    public HeartbeatRegistry Masternodes { get; }
    public TestMessageHandler Handler { get; }
    public ConnectionManager Manager { get; }
    public IPEndPoint EndPoint => Manager.LocalEndPoint!;

    public static ConnectionManagerOptions LoopbackOptions(int port = 0) => new()
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port),
        DefaultPort = 24200,
        Reconnect = new ReconnectBackoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200)),
        DialInterval = TimeSpan.FromMilliseconds(20),
        Handshake = new HandshakeOptions { Timeout = TimeSpan.FromSeconds(5) },
    };

    public Task StartAsync() => Manager.StartAsync();

    public PeerConnection? PeerFor(TestNode other) => Manager.FindPeer(other.Key.PublicKey);

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        Key.Dispose();
    }
}

/// <summary>A hand-driven peer: dials, runs the handshake with its own key and then sends and reads frames directly.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<NetworkMessage> _received = new();
    private Task? _drain;

    private RawPeer(ITransportConnection connection, NetworkMagic magic, KeyPair key)
    {
        Connection = connection;
        Key = key;
        Sink = new RecordingViolationSink();
        Reader = new MessageReader(new FrameReader(connection.Input, magic), connection.RemoteEndPoint.Address, Sink);
        Writer = new FrameWriter(connection.Output, magic);
    }

    public ITransportConnection Connection { get; }
    public KeyPair Key { get; }
    public RecordingViolationSink Sink { get; }
    public MessageReader Reader { get; }
    public FrameWriter Writer { get; }
    public HandshakeResult? Handshake { get; private set; }
    public IReadOnlyCollection<NetworkMessage> Received => _received.ToArray();
    public bool Closed { get; private set; }

    public static async Task<RawPeer> ConnectAsync(ITransport transport, IPEndPoint server, KeyPair? key = null, LocalNodeInfo? info = null,
        TimeProvider? time = null, bool handshake = true, NetworkMagic? frameMagic = null)
    {
        key ??= KeyPair.Generate();
        info ??= ConnectionTestKit.InfoFor(key);
        var connection = await transport.DialAsync(server);
        var peer = new RawPeer(connection, frameMagic ?? info.NetworkMagic, key);
        if (handshake)
        {
            var driver = new HandshakeDriver(info, key, time ?? TimeProvider.System, peer.Sink, new HandshakeOptions { Timeout = TimeSpan.FromSeconds(10) });
            peer.Handshake = await driver.RunAsync(connection, peer.Reader, peer.Writer, info);
        }
        return peer;
    }

    /// <summary>Reads everything in the background (never answering), recording messages.</summary>
    public void StartDraining()
    {
        _drain = Task.Run(async () =>
        {
            while (true)
            {
                var read = await Reader.ReadAsync();
                if (read.Status == MessageReadStatus.Message)
                    _received.Enqueue(read.Message!);
                else if (read.Status is MessageReadStatus.Closed || read.Error is { ClosesConnection: true })
                {
                    Closed = true;
                    return;
                }
            }
        });
    }

    /// <summary>Reads until a message of type <typeparamref name="T"/> matching <paramref name="match"/> arrives (others are skipped).</summary>
    public async Task<T> ExpectAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null) where T : NetworkMessage
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await Reader.ReadAsync(cts.Token);
            if (read.Status == MessageReadStatus.Canceled)
                Assert.Fail($"No {typeof(T).Name} within the timeout.");
            if (read.Status == MessageReadStatus.Closed)
                Assert.Fail($"Connection closed while waiting for {typeof(T).Name}: {read.CloseReason}");
            if (read.Message is T typed && (match is null || match(typed)))
                return typed;
        }
    }

    /// <summary>Reads until the connection ends; returns the messages read before that.</summary>
    public async Task<List<NetworkMessage>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var messages = new List<NetworkMessage>();
        while (true)
        {
            var read = await Reader.ReadAsync(cts.Token);
            if (read.Status == MessageReadStatus.Canceled)
                Assert.Fail("The connection was not closed within the timeout.");
            if (read.Status == MessageReadStatus.Closed || read.Error is { ClosesConnection: true })
                return messages;
            if (read.Message is not null)
                messages.Add(read.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connection.Close();
        if (_drain is not null)
            await _drain.WaitAsync(TimeSpan.FromSeconds(10));
        Writer.Dispose();
        await Connection.DisposeAsync();
    }
}
