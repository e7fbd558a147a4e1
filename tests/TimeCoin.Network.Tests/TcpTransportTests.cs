using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

public class TcpTransportTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Loopback_FramesBothWays_RoundTrip()
    {
        var transport = new TcpTransport();
        await using var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var dialer = await transport.DialAsync(listener.LocalEndPoint);
        await using var accepted = (await accepting.WaitAsync(Guard))!;
        using var dialerWriter = new FrameWriter(dialer.Output, NetworkMagic.Mainnet);
        using var acceptedWriter = new FrameWriter(accepted.Output, NetworkMagic.Mainnet);
        var atAccepted = new MessageReader(new FrameReader(accepted.Input, NetworkMagic.Mainnet), accepted.RemoteEndPoint.Address, NullViolationSink.Instance);
        var atDialer = new MessageReader(new FrameReader(dialer.Input, NetworkMagic.Mainnet), dialer.RemoteEndPoint.Address, NullViolationSink.Instance);
        var big = new BlocksMessage([new byte[1_000_000], new byte[500_000]]);

        await dialerWriter.WriteAsync(new PingMessage(9, 8, 7));
        var sendBig = acceptedWriter.WriteAsync(big).AsTask();
        var ping = await atAccepted.ReadAsync().AsTask().WaitAsync(Guard);
        var blocks = await atDialer.ReadAsync().AsTask().WaitAsync(Guard);
        await sendBig;

        Assert.Equal(new PingMessage(9, 8, 7), ping.Message);
        var received = Assert.IsType<BlocksMessage>(blocks.Message);
        Assert.Equal([1_000_000, 500_000], received.Blocks.Select(b => b.Length));
        Assert.Equal(listener.LocalEndPoint, dialer.RemoteEndPoint);
    }

    [Fact]
    public async Task Close_RemoteReader_SeesClosedWithoutException()
    {
        var transport = new TcpTransport();
        await using var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var dialer = await transport.DialAsync(listener.LocalEndPoint);
        await using var accepted = (await accepting.WaitAsync(Guard))!;
        var pending = new FrameReader(accepted.Input, NetworkMagic.Mainnet).ReadAsync().AsTask();

        dialer.Close();

        Assert.Equal(FrameReadStatus.Closed, (await pending.WaitAsync(Guard)).Status);
    }

    [Fact]
    public async Task Close_OwnPendingRead_EndsWithoutException()
    {
        var transport = new TcpTransport();
        await using var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var dialer = await transport.DialAsync(listener.LocalEndPoint);
        await using var accepted = (await accepting.WaitAsync(Guard))!;
        var pending = new FrameReader(dialer.Input, NetworkMagic.Mainnet).ReadAsync().AsTask();

        dialer.Close();

        Assert.Equal(FrameReadStatus.Closed, (await pending.WaitAsync(Guard)).Status);
    }

    [Fact]
    public async Task Dial_ClosedPort_ThrowsTransportException()
    {
        var transport = new TcpTransport();
        var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = listener.LocalEndPoint;
        await listener.DisposeAsync();

        await Assert.ThrowsAsync<TransportException>(() => transport.DialAsync(endpoint).AsTask());
    }

    [Fact]
    public async Task Accept_AfterListenerDisposed_ReturnsNull()
    {
        var transport = new TcpTransport();
        var listener = await transport.ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();

        await listener.DisposeAsync();

        Assert.Null(await accepting.WaitAsync(Guard));
    }
}
