using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

/// <summary>
/// The drain after a TCP close (<see cref="TcpConnection.DrainTimeout"/>) protects what we wrote, so it is spent only
/// where something of ours is worth delivering, and only on a bounded number of connections at once. Each test has its
/// own <see cref="TcpDrainLimiter"/> and a drain clock that never moves unless the test moves it: a drain in progress
/// stays in progress, so "released at once" cannot be a drain that happened to end quickly.
/// </summary>
[Trait("Category", "Slow")]
public class TcpDrainTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    /// <summary>A loopback pair: our side wrapped in a <see cref="TcpConnection"/>, the peer's a plain socket.</summary>
    private static async Task<(TcpConnection Ours, Socket Peer)> PairAsync(TcpDrainLimiter drains, TimeProvider time)
    {
        var (ours, _, peer) = await PairWithSocketAsync(drains, time);
        return (ours, peer);
    }

    /// <summary>As <see cref="PairAsync"/>, with our side's socket too (to see what it holds unread).</summary>
    private static async Task<(TcpConnection Ours, Socket OurSocket, Socket Peer)> PairWithSocketAsync(TcpDrainLimiter drains, TimeProvider time)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync().WaitAsync(Guard);
        return (new TcpConnection(accepted, drains, time), accepted, peer);
    }

    /// <summary>The peer sends bytes our side does not read, and waits until they are there.</summary>
    private static async Task SendUnreadAsync(Socket peer, Socket ours)
    {
        await peer.SendAsync(new byte[100]);
        await ConnectionTestKit.Until(() => ours.Available > 0, "the peer's bytes arrived");
    }

    /// <summary>Reads until the end of the stream; returns how it ended: "fin" (orderly end) or the socket error.</summary>
    private static async Task<string> ReadToEndAsync(Socket peer)
    {
        var buffer = new byte[4096];
        try
        {
            while (await peer.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Guard) > 0)
            {
            }
            return "fin";
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode.ToString();
        }
    }

    /// <summary>
    /// Sends until the kernel answers with a reset: what a released socket does with bytes that arrive (a draining one
    /// reads and discards them). True when the connection ended in a reset: the read or send saw it (ECONNRESET), or
    /// a send after it found the connection gone (EPIPE, <see cref="SocketError.Shutdown"/>).
    /// </summary>
    private static async Task<bool> SendUntilResetAsync(Socket peer)
    {
        var deadline = DateTime.UtcNow + Guard;
        var buffer = new byte[4096];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await peer.SendAsync(new byte[] { 1 });
                while (peer.Available > 0 || peer.Poll(10_000, SelectMode.SelectRead))
                {
                    if (await peer.ReceiveAsync(buffer, SocketFlags.None) == 0)
                        break;
                }
            }
            catch (SocketException ex)
            {
                return ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown;
            }
        }
        return false;
    }

    [Fact]
    public async Task Close_NothingWrittenAndThePeerStillSending_ReleasedAtOnceWithoutADrain()
    {
        var drains = new TcpDrainLimiter(8);
        var (ours, socket, peer) = await PairWithSocketAsync(drains, new FakeTimeProvider());
        using var _ = peer;
        await SendUnreadAsync(peer, socket);

        ours.Close(); // refused at accept: we never wrote a byte, so there is no goodbye to protect

        Assert.True(ours.IsReleased, "the socket is still held: it drains although nothing of ours needs delivering");
        Assert.Equal(0, drains.InProgress);
        // Nothing holds the connection: the peer's next bytes are answered with a reset.
        Assert.True(await SendUntilResetAsync(peer), "the peer can still send: our side still reads");
    }

    [Fact]
    public async Task Close_SomethingWrittenAndThePeerStillOpen_DrainsUntilThePeerCloses()
    {
        var drains = new TcpDrainLimiter(8);
        var (ours, socket, peer) = await PairWithSocketAsync(drains, new FakeTimeProvider());
        using var _ = peer;
        await ours.Output.WriteAsync(new byte[] { 1, 2, 3 });
        await SendUnreadAsync(peer, socket);

        ours.Close();

        Assert.False(ours.IsReleased);
        Assert.Equal(1, drains.InProgress);
        // The peer reads what we wrote, then our orderly end; it closes its side and the drain ends with it.
        Assert.Equal("fin", await ReadToEndAsync(peer));
        peer.Shutdown(SocketShutdown.Send);
        await ConnectionTestKit.Until(() => ours.IsReleased, "released at the peer's end of stream");
        Assert.Equal(0, drains.InProgress);
    }

    [Fact]
    public async Task Close_SomethingWrittenAndThePeerNeverCloses_ReleasedAtTheDrainTimeout()
    {
        var drains = new TcpDrainLimiter(8);
        var time = new FakeTimeProvider();
        var (ours, peer) = await PairAsync(drains, time);
        using var _ = peer;
        await ours.Output.WriteAsync(new byte[] { 1, 2, 3 });

        ours.Close();
        time.Advance(TcpConnection.DrainTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(ours.IsReleased);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await ConnectionTestKit.Until(() => ours.IsReleased, "released at the drain timeout");
        Assert.Equal(0, drains.InProgress);
    }

    [Fact]
    public async Task Close_DrainsAlreadyAtTheCap_ReleasedAtOnce()
    {
        var drains = new TcpDrainLimiter(1);
        var time = new FakeTimeProvider();
        var (first, firstPeer) = await PairAsync(drains, time);
        var (second, secondSocket, secondPeer) = await PairWithSocketAsync(drains, time);
        using var _ = firstPeer;
        using var __ = secondPeer;
        await first.Output.WriteAsync(new byte[] { 1 });
        await second.Output.WriteAsync(new byte[] { 2 });
        await SendUnreadAsync(secondPeer, secondSocket);

        first.Close();
        second.Close();

        Assert.False(first.IsReleased); // the one slot: draining (its peer never closes, the clock never moves)
        Assert.True(second.IsReleased, "a second drain was started above the cap of 1");
        Assert.Equal(1, drains.InProgress);
        Assert.Equal(1, drains.Refused);
        Assert.True(await SendUntilResetAsync(secondPeer), "the peer can still send: our side still reads");
    }

    /// <summary>
    /// A failed handshake wrote our version, but nothing the peer needs: no goodbye follows a refused handshake. The
    /// driver closes without the drain, so a flood of bad handshakes holds no descriptors after each one fails.
    /// </summary>
    [Fact]
    public async Task Handshake_PeerOnAnotherNetwork_ConnectionReleasedAtOnceWithoutADrain()
    {
        var drains = new TcpDrainLimiter(8);
        var (ours, peer) = await PairAsync(drains, new FakeTimeProvider());
        using var _ = peer;
        using var key = KeyPair.Generate();
        using var otherKey = KeyPair.Generate();
        var sink = new RecordingViolationSink();
        var reader = new MessageReader(new FrameReader(ours.Input, NetworkMagic.Devnet), IPAddress.Loopback, sink);
        using var writer = new FrameWriter(ours.Output, NetworkMagic.Devnet);
        // The peer's version, framed for another network.
        var theirs = new ArrayBufferWriter<byte>();
        FrameFormat.Write(theirs, NetworkMagic.Testnet, MessageType.Version,
            MessageCodec.Encode(TestData.NodeInfo(otherKey, NetworkMagic.Testnet).ToVersionMessage(1, 0)));
        await peer.SendAsync(theirs.WrittenMemory);

        var result = await new HandshakeDriver(TestData.NodeInfo(key), key, TimeProvider.System, sink).RunAsync(ours, reader, writer).WaitAsync(Guard);

        Assert.Equal(HandshakeFailure.WrongNetwork, result.Failure);
        Assert.True(ours.IsReleased, "the failed handshake's socket is held in a drain");
        Assert.Equal(0, drains.InProgress);
    }
}
