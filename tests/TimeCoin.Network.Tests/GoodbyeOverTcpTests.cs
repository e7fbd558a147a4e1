using System.Net;
using System.Net.Sockets;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The goodbye over real loopback TCP. Closing a socket that still holds unread input makes the kernel send a reset
/// at once, and the reset throws away what the socket had not delivered yet: a goodbye still waiting in the send
/// buffer (the peer reads slowly) never reached a peer that was sending while we said goodbye.
/// </summary>
[Trait("Category", "Slow")]
public class GoodbyeOverTcpTests
{
    private static readonly PeerPolicyOptions Generous = new() { DefaultRateLimit = new RateLimit(1_000_000, 1_000_000) };

    [Fact]
    public async Task Stop_PeerSendingAndReadingSlowly_PeerStillReadsTheGoodbye()
    {
        var tcp = new TcpTransport();
        // The goodbye fits in the kernel's buffers behind the pongs, so the stop never waits long for it; its deadline is
        // real time, and the default 2 s can pass on a loaded machine before the node's write loop runs (the goodbye is
        // then never queued to the socket, which is not what this test is about).
        await using var node = new TestNode(tcp, TestNode.LoopbackOptions() with { GoodbyeTimeout = TimeSpan.FromSeconds(30) }, policyOptions: Generous);
        await node.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(new SmallReceiveBufferTransport(), node.EndPoint);
        Assert.True(peer.Handshake!.IsSuccess);
        await Until(() => node.Manager.FindPeer(peer.Key.PublicKey) is not null, "the node registers the peer");

        // The node answers 2,000 pings the peer does not read yet: the peer's small receive window fills, and the rest
        // (then the goodbye) waits in the node's send buffer. The peer goes on sending, so the node has unread input
        // when it closes.
        for (ulong nonce = 0; nonce < 2_000; nonce++)
            Assert.True(await peer.Writer.WriteAsync(new PingMessage(nonce, 1, 3)));
        // The peer goes on sending, paced (about one message per millisecond), so the node has input to read while it
        // stops; when the node has closed the connection (the close is recorded right after the transport's Close) the
        // peer sends a burst of 500 more messages (about 20 KB) at once and stops. That burst arrives at a closed
        // socket: a released one answers it with a reset, which throws away the goodbye still in the send buffer; the
        // node's bounded drain (TcpConnection.DrainTimeout, 2 s) reads it. The amount is bounded so the drain reads it
        // well within its 2 s even on a loaded machine: unpaced, the peer queued megabytes before and after the close,
        // and under load the drain could not read them all in time (a reset, and "160 pongs read", in a CI run).
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Manager.PeerDisconnected += _ => closed.TrySetResult();
        var sending = Task.Run(async () =>
        {
            var filler = new BlockAnnouncementMessage(TestData.HashOf(1), 1);
            while (!closed.Task.IsCompleted)
            {
                if (!await peer.Writer.WriteAsync(filler))
                    return;
                await Task.WhenAny(closed.Task, Task.Delay(1));
            }
            for (int i = 0; i < 500; i++)
            {
                if (!await peer.Writer.WriteAsync(filler))
                    return;
            }
        });
        await Until(() => node.Handler.Messages.Count >= 100, "the node has answered the pings and reads the stream after them");

        await node.Manager.StopAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(30));

        // The peer reads only now, as a busy peer would.
        var (messages, end) = await ReadUntilEndAsync(peer).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(messages.OfType<GoodbyeMessage>().Any(),
            $"no goodbye: {messages.OfType<PongMessage>().Count()} pongs read, then the stream ended with {end}");
        Assert.Equal(2_000, messages.OfType<PongMessage>().Count());
    }

    /// <summary>Reads everything until the stream ends (closed or reset); returns the messages and how it ended.</summary>
    private static async Task<(List<NetworkMessage> Messages, string End)> ReadUntilEndAsync(RawPeer peer)
    {
        var messages = new List<NetworkMessage>();
        try
        {
            while (true)
            {
                var read = await peer.Reader.ReadAsync();
                if (read.Message is not null)
                    messages.Add(read.Message);
                else if (read.Status == MessageReadStatus.Closed || read.Error is { ClosesConnection: true })
                    return (messages, $"{read.Status}: {read.CloseReason}{read.Error}");
            }
        }
        catch (Exception ex)
        {
            return (messages, ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>Dials with a 4 KiB receive buffer, so a peer that does not read fills its window fast.</summary>
    private sealed class SmallReceiveBufferTransport : ITransport
    {
        public ValueTask<IConnectionListener> ListenAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async ValueTask<ITransportConnection> DialAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
        {
            var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(remote, cancellationToken);
            return new TcpConnection(socket);
        }
    }
}
