using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

public class InMemoryTransportTests
{
    private static readonly IPAddress NodeA = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress NodeB = IPAddress.Parse("10.0.0.2");
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private static async Task<(IConnectionListener Listener, ITransportConnection Dialer, ITransportConnection Accepted)> ConnectAsync(InMemoryNetwork network)
    {
        var listener = await network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(IPAddress.Any, 24100));
        var dialer = await network.CreateTransport(NodeA).DialAsync(new IPEndPoint(NodeB, 24100));
        var accepted = (await listener.AcceptAsync().AsTask().WaitAsync(Guard))!;
        return (listener, dialer, accepted);
    }

    [Fact]
    public async Task Dial_ListeningNode_BothSidesSeeEachOthersAddresses()
    {
        var (_, dialer, accepted) = await ConnectAsync(new InMemoryNetwork());

        Assert.Equal(new IPEndPoint(NodeB, 24100), dialer.RemoteEndPoint);
        Assert.Equal(NodeA, accepted.RemoteEndPoint.Address);
        Assert.Equal(dialer.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task Frames_WrittenOnEitherSide_AreReadOnTheOther()
    {
        var (_, dialer, accepted) = await ConnectAsync(new InMemoryNetwork());
        using var dialerWriter = new FrameWriter(dialer.Output, NetworkMagic.Devnet);
        using var acceptedWriter = new FrameWriter(accepted.Output, NetworkMagic.Devnet);

        await dialerWriter.WriteAsync(new PingMessage(1, 2, 3));
        await acceptedWriter.WriteAsync(new PongMessage(1, 2, 3));
        var atAccepted = await new FrameReader(accepted.Input, NetworkMagic.Devnet).ReadAsync();
        var atDialer = await new FrameReader(dialer.Input, NetworkMagic.Devnet).ReadAsync();

        Assert.Equal(MessageType.Ping, atAccepted.Type);
        Assert.Equal(MessageType.Pong, atDialer.Type);
    }

    [Fact]
    public async Task Dial_NobodyListening_ThrowsTransportException()
    {
        var network = new InMemoryNetwork();

        var ex = await Assert.ThrowsAsync<TransportException>(() => network.CreateTransport(NodeA).DialAsync(new IPEndPoint(NodeB, 24100)).AsTask());

        Assert.Equal(new IPEndPoint(NodeB, 24100), ex.EndPoint);
    }

    [Fact]
    public async Task Dial_RefusedByFilter_ThrowsUntilFilterCleared()
    {
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(NodeB, 24100));
        network.SetDialFilter((from, to) => !from.Equals(NodeA));

        await Assert.ThrowsAsync<TransportException>(() => network.CreateTransport(NodeA).DialAsync(listener.LocalEndPoint).AsTask());
        network.SetDialFilter(null);
        var connection = await network.CreateTransport(NodeA).DialAsync(listener.LocalEndPoint);

        Assert.False(connection.IsClosed);
    }

    [Fact]
    public async Task Listen_SameEndpointTwice_Throws()
    {
        var network = new InMemoryNetwork();
        await using var first = await network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(NodeB, 24100));

        await Assert.ThrowsAsync<TransportException>(() => network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(NodeB, 24100)).AsTask());
    }

    [Fact]
    public async Task Listen_AfterDispose_EndpointCanBeReused()
    {
        var network = new InMemoryNetwork();
        var first = await network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(NodeB, 24100));
        await first.DisposeAsync();

        await using var second = await network.CreateTransport(NodeB).ListenAsync(new IPEndPoint(NodeB, 24100));

        Assert.Null(await first.AcceptAsync());
        Assert.Equal(24100, second.LocalEndPoint.Port);
    }

    [Fact]
    public async Task BreakConnections_PendingReadOnBothSides_EndsWithoutHanging()
    {
        var network = new InMemoryNetwork();
        var (_, dialer, accepted) = await ConnectAsync(network);
        var dialerRead = new FrameReader(dialer.Input, NetworkMagic.Devnet).ReadAsync().AsTask();
        var acceptedRead = new FrameReader(accepted.Input, NetworkMagic.Devnet).ReadAsync().AsTask();

        int broken = network.BreakConnections(NodeB);

        Assert.Equal(1, broken);
        Assert.Equal(FrameReadStatus.Closed, (await dialerRead.WaitAsync(Guard)).Status);
        Assert.Equal(FrameReadStatus.Closed, (await acceptedRead.WaitAsync(Guard)).Status);
        Assert.True(dialer.IsClosed);
        Assert.True(accepted.IsClosed);
        Assert.Equal(0, network.OpenConnectionCount);
    }

    [Fact]
    public async Task Close_WritesAfterwards_ReturnFalseInsteadOfThrowing()
    {
        var (_, dialer, accepted) = await ConnectAsync(new InMemoryNetwork());
        using var writer = new FrameWriter(accepted.Output, NetworkMagic.Devnet);

        dialer.Close();

        Assert.False(await writer.WriteAsync(new GetPeersMessage()));
    }

    [Fact]
    public async Task Write_PeerNotReading_FlushWaitsAtPauseThreshold()
    {
        var (_, dialer, _) = await ConnectAsync(new InMemoryNetwork());
        using var writer = new FrameWriter(dialer.Output, NetworkMagic.Devnet);

        // 2 MiB unread exceeds the 1 MiB pause threshold: the flush must wait, not buffer without bound.
        var write = writer.WriteAsync(MessageType.Blocks, new byte[2 * 1024 * 1024]).AsTask();

        Assert.False(write.IsCompleted);
    }

    [Fact]
    public async Task Write_PeerReadsBuffer_PausedFlushResumes()
    {
        var (_, dialer, accepted) = await ConnectAsync(new InMemoryNetwork());
        using var writer = new FrameWriter(dialer.Output, NetworkMagic.Devnet);
        var write = writer.WriteAsync(MessageType.Blocks, new byte[2 * 1024 * 1024]).AsTask();

        var frame = await new FrameReader(accepted.Input, NetworkMagic.Devnet).ReadAsync();

        Assert.True(await write.WaitAsync(Guard));
        Assert.Equal(2 * 1024 * 1024, frame.Payload.Length);
    }

    [Fact]
    public async Task Close_WhileFlushIsPaused_FlushReturnsFalse()
    {
        var (_, dialer, _) = await ConnectAsync(new InMemoryNetwork());
        using var writer = new FrameWriter(dialer.Output, NetworkMagic.Devnet);
        var write = writer.WriteAsync(MessageType.Blocks, new byte[2 * 1024 * 1024]).AsTask();

        dialer.Close();

        Assert.False(await write.WaitAsync(Guard));
    }
}
