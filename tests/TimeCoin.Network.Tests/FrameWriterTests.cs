using System.Buffers;
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
    public async Task WriteAsync_ManyFramesOfMixedSizesThroughOneWriter_EachHeaderCarriesItsOwnPayloadsChecksum()
    {
        // The writer keeps one hasher for all its frames: each frame's checksum must start from a fresh state.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        using var writer = new FrameWriter(pipe.Writer, NetworkMagic.Mainnet);
        var random = new Random(3);
        int[] sizes = [0, 1, 31, 32, 33, 64, 1000, 70_000, 0, 5];
        var payloads = sizes.Select(size => { var bytes = new byte[size]; random.NextBytes(bytes); return bytes; }).ToList();
        foreach (var payload in payloads)
            Assert.True(await writer.WriteAsync(MessageType.Heartbeat, payload));
        await pipe.Writer.CompleteAsync();

        var read = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        var bytes = read.Buffer.ToArray();
        int offset = 0;
        foreach (var payload in payloads)
        {
            var header = bytes.AsSpan(offset, FrameFormat.HeaderSize);
            Assert.Equal((uint)payload.Length, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[FrameFormat.LengthOffset..]));
            Assert.Equal(FrameReaderTests.ReferenceChecksum(payload),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[FrameFormat.ChecksumOffset..]));
            Assert.Equal(payload, bytes.AsSpan(offset + FrameFormat.HeaderSize, payload.Length).ToArray());
            offset += FrameFormat.HeaderSize + payload.Length;
        }
        Assert.Equal(bytes.Length, offset);
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
