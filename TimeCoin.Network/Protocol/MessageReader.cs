using System.Net;
using System.Runtime.CompilerServices;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Reads messages from one connection: frames from a <see cref="FrameReader"/>, decoded by <see cref="MessageCodec"/>.
/// Every framing or decoding error is reported to the <see cref="IViolationSink"/> and returned as a value; nothing
/// throws. One read at a time.
/// </summary>
internal sealed class MessageReader
{
    private readonly FrameReader _frames;
    private readonly IPAddress _remote;
    private readonly IViolationSink _violations;
    private long _bytesRead;
    private long _framesRead;

    /// <summary>Creates a reader for the peer at <paramref name="remote"/>.</summary>
    public MessageReader(FrameReader frames, IPAddress remote, IViolationSink violations)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(violations);
        _frames = frames;
        _remote = remote;
        _violations = violations;
    }

    /// <summary>The frame reader underneath (for its payload limit).</summary>
    public FrameReader Frames => _frames;

    /// <summary>The peer's address (the key violations are recorded under).</summary>
    public IPAddress Remote => _remote;

    /// <summary>Bytes of complete frames read so far (headers and payloads, good or bad).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Complete frames read so far (decoded or not).</summary>
    public long FramesRead => Interlocked.Read(ref _framesRead);

    /// <summary>Waits for the next message.</summary>
    /// <remarks>
    /// Its state machine comes from a pool (see <see cref="FrameReader.ReadAsync"/>): await the task once and only once.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<MessageReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var frame = await _frames.ReadAsync(cancellationToken);
        switch (frame.Status)
        {
            case FrameReadStatus.Frame:
                Interlocked.Add(ref _bytesRead, FrameFormat.HeaderSize + frame.Payload.Length);
                Interlocked.Increment(ref _framesRead);
                var decoded = MessageCodec.Decode(frame.Type, frame.Payload); // the frame's own array: gossip items are slices of it
                if (decoded.IsSuccess)
                    return new MessageReadResult(MessageReadStatus.Message, decoded.Message, null, null);
                return Violation(decoded.Error);
            case FrameReadStatus.Error:
                return Violation(frame.Error!);
            case FrameReadStatus.Closed:
                return new MessageReadResult(MessageReadStatus.Closed, null, null, frame.CloseReason);
            default:
                return new MessageReadResult(MessageReadStatus.Canceled, null, null, null);
        }
    }

    private MessageReadResult Violation(ProtocolError error)
    {
        _violations.Record(_remote, error);
        return new MessageReadResult(MessageReadStatus.Error, null, error, null);
    }
}
