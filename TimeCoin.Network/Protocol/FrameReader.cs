using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Reads frames (see <see cref="FrameFormat"/>) from a <see cref="PipeReader"/>. The magic is checked as soon as four
/// bytes arrive and the announced length as soon as the header arrives, so an oversized frame is rejected before
/// anything is allocated for it or any more of it is read. Errors come back as values; nothing is thrown, not even
/// when the underlying connection fails. After an error that loses frame sync (bad magic, oversized, bad checksum)
/// every further read returns that same error: the caller must close the connection. One reader per pipe, one read
/// at a time.
/// </summary>
internal sealed class FrameReader
{
    private readonly PipeReader _input;
    private readonly NetworkMagic _magic;
    private readonly int _maxPayloadLength;
    private int _payloadLimit; // _maxPayloadLength, or less while LimitPayload is in force (the handshake)
    // One read at a time, so one hasher serves every frame's checksum (its native context is freed by its finalizer
    // when the reader is dropped).
    private readonly IncrementalHash _checksumHasher = FrameFormat.CreateChecksumHasher();
    private FrameReadResult? _terminal;

    /// <summary>Creates a reader for frames of network <paramref name="magic"/>.</summary>
    /// <param name="input">The connection's input pipe.</param>
    /// <param name="magic">Our network's magic.</param>
    /// <param name="maxPayloadLength">Hard maximum payload length (default 4 MiB).</param>
    public FrameReader(PipeReader input, NetworkMagic magic, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadLength);
        _input = input;
        _magic = magic;
        _maxPayloadLength = maxPayloadLength;
        _payloadLimit = maxPayloadLength;
    }

    /// <summary>The hard maximum payload length in bytes.</summary>
    public int MaxPayloadLength => _maxPayloadLength;

    /// <summary>The largest payload accepted now: <see cref="MaxPayloadLength"/>, or less while <see cref="LimitPayload"/> is in force.</summary>
    public int PayloadLimit => Volatile.Read(ref _payloadLimit);

    /// <summary>
    /// Lowers the largest payload accepted to <paramref name="limit"/> (never above <see cref="MaxPayloadLength"/>)
    /// until <see cref="RemovePayloadLimit"/>: a longer frame header is an <see cref="ProtocolErrorKind.Oversized"/>
    /// error, at once. The handshake driver uses it, since a Version or VerAck is small
    /// (<see cref="ProtocolLimits.MaxHandshakePayloadLength"/>).
    /// </summary>
    public void LimitPayload(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        Volatile.Write(ref _payloadLimit, Math.Min(limit, _maxPayloadLength));
    }

    /// <summary>Accepts payloads up to <see cref="MaxPayloadLength"/> again.</summary>
    public void RemovePayloadLimit() => Volatile.Write(ref _payloadLimit, _maxPayloadLength);

    /// <summary>
    /// Waits for the next complete frame. A partial frame waits for more data; the end of the stream in the middle of
    /// a frame is <see cref="FrameReadStatus.Closed"/>.
    /// </summary>
    /// <remarks>
    /// The state machine of a read that waits comes from a pool (one read per frame; a fresh one per wait was an
    /// allocation per message), so the returned task must be awaited once and only once, as any
    /// <see cref="ValueTask{TResult}"/> should be.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_terminal is { } terminal)
            return terminal;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await _input.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return FrameReadResult.Canceled;
            }
            catch (Exception ex)
            {
                // A reset socket (IOException), a disposed stream, a completed pipe: the connection is gone.
                return Terminal(FrameReadResult.ForClosed($"connection failed: {ex.GetType().Name}: {ex.Message}"));
            }

            var buffer = read.Buffer;
            var outcome = TryParseFrame(buffer, read.IsCompleted, out var consumed);
            try
            {
                if (outcome is null)
                    _input.AdvanceTo(buffer.Start, buffer.End); // need more bytes: nothing consumed, all examined
                else
                    _input.AdvanceTo(consumed);
            }
            catch (Exception ex)
            {
                return Terminal(FrameReadResult.ForClosed($"connection failed: {ex.GetType().Name}: {ex.Message}"));
            }

            if (outcome is { } result)
            {
                if (result.Status == FrameReadStatus.Closed || result.Error is { ClosesConnection: true })
                    _terminal = result;
                return result;
            }
            if (read.IsCanceled)
                return FrameReadResult.Canceled;
        }
    }

    private FrameReadResult Terminal(FrameReadResult result)
    {
        _terminal = result;
        return result;
    }

    private FrameReadResult? TryParseFrame(ReadOnlySequence<byte> buffer, bool completed, out SequencePosition consumed)
    {
        consumed = buffer.End;
        if (buffer.Length >= 4)
        {
            Span<byte> magicBytes = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(magicBytes);
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(magicBytes);
            if (magic != _magic.Value)
                return FrameReadResult.ForError(new ProtocolError(ProtocolErrorKind.BadMagic,
                    $"frame magic {magic:x8} is not this network's {_magic}", ClosesConnection: true, IsSevere: true));
        }
        if (buffer.Length < FrameFormat.HeaderSize)
            return completed ? Closed(buffer.Length, FrameFormat.HeaderSize) : null;

        Span<byte> header = stackalloc byte[FrameFormat.HeaderSize];
        buffer.Slice(0, FrameFormat.HeaderSize).CopyTo(header);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[FrameFormat.TypeOffset..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[FrameFormat.LengthOffset..]);
        uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(header[FrameFormat.ChecksumOffset..]);
        int limit = _payloadLimit;
        if (length > (uint)limit)
            return FrameReadResult.ForError(new ProtocolError(ProtocolErrorKind.Oversized,
                $"frame of type {type} announces {length} payload bytes, the maximum is {limit}{(limit < _maxPayloadLength ? " during the handshake" : "")}",
                ClosesConnection: true, IsSevere: true));

        long frameLength = FrameFormat.HeaderSize + (long)length;
        if (buffer.Length < frameLength)
            return completed ? Closed(buffer.Length, frameLength) : null;

        var payload = new byte[length];
        buffer.Slice(FrameFormat.HeaderSize, length).CopyTo(payload);
        consumed = buffer.GetPosition(frameLength);

        uint actual = FrameFormat.ComputeChecksum(payload, _checksumHasher);
        if (actual != checksum)
            return FrameReadResult.ForError(new ProtocolError(ProtocolErrorKind.BadChecksum,
                $"frame of type {type} with {length} payload bytes has checksum {checksum:x8}, the payload hashes to {actual:x8}", ClosesConnection: true, IsSevere: false));
        if (!MessageCodec.IsKnownType((MessageType)type))
            return FrameReadResult.ForError(new ProtocolError(ProtocolErrorKind.UnknownType,
                $"unknown message type {type} ({length} payload bytes skipped)", ClosesConnection: false, IsSevere: false));
        return FrameReadResult.ForFrame((MessageType)type, payload);
    }

    private static FrameReadResult Closed(long have, long need) => FrameReadResult.ForClosed(have == 0
        ? "connection closed by the remote"
        : $"connection closed in the middle of a frame ({have} of {need} bytes received)");
}
