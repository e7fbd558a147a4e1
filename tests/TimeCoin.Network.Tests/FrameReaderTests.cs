using System.IO.Pipelines;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

public class FrameReaderTests
{
    private static readonly NetworkMagic Magic = NetworkMagic.Devnet;

    private static (Pipe Pipe, FrameReader Reader) NewReader(int max = FrameFormat.DefaultMaxPayloadLength)
    {
        var pipe = new Pipe();
        return (pipe, new FrameReader(pipe.Reader, Magic, max));
    }

    private static async Task WriteAsync(Pipe pipe, byte[] bytes)
    {
        await pipe.Writer.WriteAsync(bytes);
    }

    private static byte[] Header(NetworkMagic magic, ushort type, uint length, uint checksum)
    {
        var header = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(header, magic, type, length, checksum);
        return header;
    }

    [Fact]
    public async Task ReadAsync_WellFormedFrame_ReturnsTypeAndPayload()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, FrameFormat.ToArray(Magic, MessageType.Ping, [1, 2, 3]));

        var result = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Frame, result.Status);
        Assert.Equal(MessageType.Ping, result.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, result.Payload.ToArray());
    }

    [Fact]
    public async Task ReadAsync_SeveralFramesInOneWrite_ReturnsEachInOrder()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, [.. FrameFormat.ToArray(Magic, MessageType.GetPeers, []), .. FrameFormat.ToArray(Magic, MessageType.GetMasternodes, [])]);

        var first = await reader.ReadAsync();
        var second = await reader.ReadAsync();

        Assert.Equal(MessageType.GetPeers, first.Type);
        Assert.Equal(MessageType.GetMasternodes, second.Type);
    }

    [Fact]
    public async Task ReadAsync_OtherNetworksMagic_ReturnsSevereBadMagicThatClosesTheConnection()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, FrameFormat.ToArray(NetworkMagic.Testnet, MessageType.Ping, new byte[24]));

        var result = await reader.ReadAsync();

        Assert.Equal(ProtocolErrorKind.BadMagic, result.Error!.Kind);
        Assert.True(result.Error.IsSevere);
        Assert.True(result.Error.ClosesConnection);
    }

    [Fact]
    public async Task ReadAsync_BadMagicInFirstFourBytes_IsDetectedBeforeTheHeaderIsComplete()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, "GET "u8.ToArray());

        var result = await reader.ReadAsync();

        Assert.Equal(ProtocolErrorKind.BadMagic, result.Error!.Kind);
    }

    [Fact]
    public async Task ReadAsync_HeaderClaiming3GiBWithNoPayload_IsRejectedAtOnce()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, Header(Magic, (ushort)MessageType.Blocks, 3u * 1024 * 1024 * 1024, 0));

        // Only the header was sent: the reader must answer now instead of waiting for (or allocating) 3 GiB.
        var pending = reader.ReadAsync().AsTask();
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(ProtocolErrorKind.Oversized, result.Error!.Kind);
        Assert.True(result.Error.IsSevere);
        Assert.Contains("3221225472", result.Error.Detail);
    }

    [Fact]
    public async Task ReadAsync_LengthJustAboveConfiguredMaximum_IsOversized()
    {
        var (pipe, reader) = NewReader(max: 100);
        await WriteAsync(pipe, FrameFormat.ToArray(Magic, MessageType.Heartbeat, new byte[101]));

        var result = await reader.ReadAsync();

        Assert.Equal(ProtocolErrorKind.Oversized, result.Error!.Kind);
    }

    [Fact]
    public async Task ReadAsync_LengthAtConfiguredMaximum_IsAccepted()
    {
        var (pipe, reader) = NewReader(max: 100);
        await WriteAsync(pipe, FrameFormat.ToArray(Magic, MessageType.Heartbeat, new byte[100]));

        var result = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Frame, result.Status);
    }

    /// <summary>The checksum as the wire defines it, computed here independently: SHA-256 of SHA-256, first 4 bytes LE.</summary>
    internal static uint ReferenceChecksum(byte[] payload) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(
            System.Security.Cryptography.SHA256.HashData(System.Security.Cryptography.SHA256.HashData(payload)));

    [Fact]
    public void ComputeChecksum_EveryLengthAroundTheOneBlockLimit_MatchesTheReferenceWithOneHasherForAll()
    {
        // Payloads of up to 55 bytes are hashed in managed code, longer ones by the platform; the second pass is always
        // managed. Every length from empty to well past two blocks, plus large ones, through one reused hasher.
        var random = new Random(11);
        using var hasher = FrameFormat.CreateChecksumHasher();
        foreach (int length in Enumerable.Range(0, 200).Concat([1000, 4096, 70_000]))
        {
            var payload = new byte[length];
            random.NextBytes(payload);
            Assert.Equal(ReferenceChecksum(payload), FrameFormat.ComputeChecksum(payload, hasher));
            Assert.Equal(ReferenceChecksum(payload), FrameFormat.ComputeChecksum(payload));
        }
    }

    [Fact]
    public void Sha256Small_EveryLengthItTakes_MatchesThePlatformSha256AndLongerInputIsRefused()
    {
        var random = new Random(3);
        for (int length = 0; length <= Sha256Small.MaxInput; length++)
        {
            foreach (byte fill in new byte[] { 0x00, 0xff })
            {
                var input = new byte[length];
                if (fill == 0xff)
                    random.NextBytes(input);
                var digest = new byte[32];
                Sha256Small.Hash(input, digest);
                Assert.Equal(System.Security.Cryptography.SHA256.HashData(input), digest);
            }
        }
        var inPlace = System.Security.Cryptography.SHA256.HashData("abc"u8);
        var expected = System.Security.Cryptography.SHA256.HashData(inPlace);
        Sha256Small.Hash(inPlace, inPlace); // the second pass hashes a digest into itself
        Assert.Equal(expected, inPlace);
        Assert.Equal(Convert.FromHexString("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
            Hash("abc"u8.ToArray())); // FIPS 180-2's example

        Assert.Throws<ArgumentException>(() => Sha256Small.Hash(new byte[Sha256Small.MaxInput + 1], new byte[32]));

        static byte[] Hash(byte[] input)
        {
            var digest = new byte[32];
            Sha256Small.Hash(input, digest);
            return digest;
        }
    }

    [Fact]
    public async Task ReadAsync_ManyFramesOfMixedSizesThroughOneReader_EveryChecksumIsCheckedAgainstItsOwnPayload()
    {
        // The reader keeps one hasher for all its frames: each frame's check must start from a fresh state.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // every frame is written before the first is read
        var reader = new FrameReader(pipe.Reader, Magic);
        var random = new Random(7);
        int[] sizes = [0, 1, 31, 32, 33, 64, 1000, 70_000, 0, 5];
        var payloads = sizes.Select(size => { var bytes = new byte[size]; random.NextBytes(bytes); return bytes; }).ToList();
        foreach (var payload in payloads)
            await WriteAsync(pipe, [.. Header(Magic, (ushort)MessageType.Ping, (uint)payload.Length, ReferenceChecksum(payload)), .. payload]);
        var last = new byte[40];
        random.NextBytes(last);
        await WriteAsync(pipe, [.. Header(Magic, (ushort)MessageType.Ping, (uint)last.Length, ReferenceChecksum(last) ^ 1), .. last]);

        foreach (var payload in payloads)
        {
            var result = await reader.ReadAsync();
            Assert.Equal(FrameReadStatus.Frame, result.Status);
            Assert.Equal(payload, result.Payload.ToArray());
        }
        var bad = await reader.ReadAsync();
        Assert.Equal(ProtocolErrorKind.BadChecksum, bad.Error!.Kind);
    }

    [Fact]
    public async Task ReadAsync_CorruptedPayload_ReturnsBadChecksum()
    {
        var (pipe, reader) = NewReader();
        var frame = FrameFormat.ToArray(Magic, MessageType.Ping, new byte[24]);
        frame[^1] ^= 0x01;
        await WriteAsync(pipe, frame);

        var result = await reader.ReadAsync();

        Assert.Equal(ProtocolErrorKind.BadChecksum, result.Error!.Kind);
        Assert.True(result.Error.ClosesConnection);
        Assert.False(result.Error.IsSevere);
    }

    [Fact]
    public async Task ReadAsync_UnknownType_ReturnsErrorAndKeepsReadingTheNextFrame()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, [.. FrameFormat.ToArray(Magic, (MessageType)777, [1, 2]), .. FrameFormat.ToArray(Magic, MessageType.GetPeers, [])]);

        var unknown = await reader.ReadAsync();
        var next = await reader.ReadAsync();

        Assert.Equal(ProtocolErrorKind.UnknownType, unknown.Error!.Kind);
        Assert.False(unknown.Error.ClosesConnection);
        Assert.Equal(MessageType.GetPeers, next.Type);
    }

    [Fact]
    public async Task ReadAsync_TruncatedPayload_WaitsForTheRestInsteadOfFailing()
    {
        var (pipe, reader) = NewReader();
        var frame = FrameFormat.ToArray(Magic, MessageType.Ping, new byte[24]);
        await WriteAsync(pipe, frame[..20]);

        var pending = reader.ReadAsync().AsTask();
        await Task.Yield();
        Assert.False(pending.IsCompleted);
        await WriteAsync(pipe, frame[20..]);
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(FrameReadStatus.Frame, result.Status);
        Assert.Equal(24, result.Payload.Length);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsMidFrame_ReturnsClosed()
    {
        var (pipe, reader) = NewReader();
        var frame = FrameFormat.ToArray(Magic, MessageType.Ping, new byte[24]);
        await WriteAsync(pipe, frame[..30]);
        await pipe.Writer.CompleteAsync();

        var result = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Closed, result.Status);
        Assert.Contains("middle of a frame", result.CloseReason);
    }

    [Fact]
    public async Task ReadAsync_AfterFatalError_ReturnsTheSameErrorAgain()
    {
        var (pipe, reader) = NewReader();
        await WriteAsync(pipe, [.. FrameFormat.ToArray(NetworkMagic.Mainnet, MessageType.Ping, new byte[24]), .. FrameFormat.ToArray(Magic, MessageType.GetPeers, [])]);

        var first = await reader.ReadAsync();
        var second = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Error, first.Status);
        Assert.Equal(first, second); // the same status and the same error object
        Assert.Same(first.Error, second.Error);
    }

    [Fact]
    public async Task ReadAsync_WriterFailedWithException_ReturnsClosedWithoutThrowing()
    {
        var (pipe, reader) = NewReader();
        await pipe.Writer.CompleteAsync(new IOException("connection reset by peer"));

        var result = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Closed, result.Status);
        Assert.Contains("connection reset by peer", result.CloseReason);
    }

    [Fact]
    public async Task ReadAsync_CallerCancels_ReturnsCanceledAndCanReadLater()
    {
        var (pipe, reader) = NewReader();
        using var cts = new CancellationTokenSource();
        var pending = reader.ReadAsync(cts.Token).AsTask();

        cts.Cancel();
        var canceled = await pending;
        await WriteAsync(pipe, FrameFormat.ToArray(Magic, MessageType.GetPeers, []));
        var next = await reader.ReadAsync();

        Assert.Equal(FrameReadStatus.Canceled, canceled.Status);
        Assert.Equal(MessageType.GetPeers, next.Type);
    }

    [Fact]
    public void ComputeChecksum_EmptyPayload_IsFirstFourBytesOfDoubleSha256()
    {
        // SHA-256d("") starts 5d f6 e0 e2 (the same constant Bitcoin uses for empty messages).
        Assert.Equal(0xe2e0f65du, FrameFormat.ComputeChecksum([]));
    }
}
