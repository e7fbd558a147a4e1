using System.IO.Pipelines;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

public class FrameWriterTests
{
    [Fact]
    public async Task WriteAsync_Message_IsReadBackByFrameReader()
    {
        var pipe = new Pipe();
        using var writer = new FrameWriter(pipe.Writer, NetworkMagic.Mainnet);
        var reader = new MessageReader(new FrameReader(pipe.Reader, NetworkMagic.Mainnet), System.Net.IPAddress.Loopback, NullViolationSink.Instance);

        Assert.True(await writer.WriteAsync(new PingMessage(5, 6, 7)));
        var result = await reader.ReadAsync();

        Assert.Equal(new PingMessage(5, 6, 7), result.Message);
    }

    [Fact]
    public async Task WriteAsync_ReaderGone_ReturnsFalse()
    {
        var pipe = new Pipe();
        using var writer = new FrameWriter(pipe.Writer, NetworkMagic.Mainnet);
        await pipe.Reader.CompleteAsync();

        Assert.False(await writer.WriteAsync(new GetPeersMessage()));
        Assert.True(writer.IsClosed);
    }

    [Fact]
    public async Task WriteAsync_ConcurrentWriters_FramesDoNotInterleave()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        using var writer = new FrameWriter(pipe.Writer, NetworkMagic.Mainnet);
        var reader = new FrameReader(pipe.Reader, NetworkMagic.Mainnet);

        var writes = Enumerable.Range(0, 50).Select(i => writer.WriteAsync(MessageType.Heartbeat, new byte[1000 + i]).AsTask()).ToArray();
        var lengths = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            var frame = await reader.ReadAsync();
            Assert.Equal(FrameReadStatus.Frame, frame.Status);
            lengths.Add(frame.Payload.Length);
        }
        await Task.WhenAll(writes);

        Assert.Equal(Enumerable.Range(1000, 50), lengths.Order());
    }

    [Fact]
    public async Task WriteAsync_PayloadAboveMaximum_Throws()
    {
        var pipe = new Pipe();
        using var writer = new FrameWriter(pipe.Writer, NetworkMagic.Mainnet, maxPayloadLength: 10);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(MessageType.Heartbeat, new byte[11]).AsTask());
    }
}
