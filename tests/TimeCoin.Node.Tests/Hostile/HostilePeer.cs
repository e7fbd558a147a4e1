using System.Net;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Node.Tests.Hostile;

/// <summary>
/// A hand-driven attacker: dials a node, completes a genuine handshake with its own key (claiming whatever height
/// it likes), then sends raw messages. A background loop reads everything; it answers pings with a pong carrying
/// <see cref="PongHeight"/> (or not at all when <see cref="AnswerPings"/> is false) and records when the node closes.
/// </summary>
internal sealed class HostilePeer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private HostilePeer(ITransportConnection connection, NetworkMagic magic, KeyPair key)
    {
        Connection = connection;
        Key = key;
        Reader = new MessageReader(new FrameReader(connection.Input, magic), connection.RemoteEndPoint.Address, NullViolationSink.Instance);
        Writer = new FrameWriter(connection.Output, magic);
    }

    public ITransportConnection Connection { get; }
    public KeyPair Key { get; }
    public MessageReader Reader { get; }
    public FrameWriter Writer { get; }
    public bool HandshakeSucceeded { get; private set; }
    public ulong PongHeight { get; set; }
    public bool AnswerPings { get; set; } = true;
    public volatile bool Closed;
    public int MessagesRead;

    /// <summary>Dials <paramref name="server"/> and runs the handshake claiming <paramref name="claimedHeight"/>.</summary>
    public static async Task<HostilePeer> ConnectAsync(ITransport transport, IPEndPoint server, ChainParameters chain, ulong claimedHeight,
        KeyPair? key = null, IPEndPoint? listen = null, bool isMasternode = false)
    {
        key ??= KeyPair.Generate();
        var magic = NetworkMagic.For(chain);
        var info = new LocalNodeInfo(LocalNodeInfo.CurrentProtocolVersion, 1, magic, chain.NetworkName, chain.GenesisHash, key.PublicKey,
            listen, claimedHeight, Hash256.DoubleSha256(key.PublicKey.Bytes), isMasternode, "hostile/1.0");
        var connection = await transport.DialAsync(server);
        var peer = new HostilePeer(connection, magic, key) { PongHeight = claimedHeight };
        var driver = new HandshakeDriver(info, key, TimeProvider.System, NullViolationSink.Instance, new HandshakeOptions { Timeout = TimeSpan.FromSeconds(20) });
        var result = await driver.RunAsync(connection, peer.Reader, peer.Writer, info);
        peer.HandshakeSucceeded = result.IsSuccess;
        if (result.IsSuccess)
            peer._loop = Task.Run(peer.ReadLoopAsync);
        else
            peer.Closed = true;
        return peer;
    }

    public ValueTask<bool> SendAsync(NetworkMessage message) => Writer.WriteAsync(message, _stop.Token);

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await Reader.ReadAsync(_stop.Token);
                if (read.Status == MessageReadStatus.Message)
                {
                    Interlocked.Increment(ref MessagesRead);
                    if (read.Message is PingMessage ping && AnswerPings)
                        await Writer.WriteAsync(new PongMessage(ping.Nonce, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), PongHeight), _stop.Token);
                }
                else if (read.Status != MessageReadStatus.Error || read.Error!.ClosesConnection)
                {
                    Closed = true;
                    return;
                }
            }
        }
        catch (Exception)
        {
            Closed = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Connection.Close();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
        }
        Writer.Dispose();
        await Connection.DisposeAsync();
        _stop.Dispose();
    }
}
