namespace TimeCoin.Network.Protocol;

/// <summary>One result of <see cref="FrameReader.ReadAsync"/>: a frame, a protocol error, the end, or a cancellation.</summary>
internal readonly struct FrameReadResult
{
    private FrameReadResult(FrameReadStatus status, MessageType type, ReadOnlyMemory<byte> payload, ProtocolError? error, string? closeReason)
    {
        Status = status;
        Type = type;
        Payload = payload;
        Error = error;
        CloseReason = closeReason;
    }

    /// <summary>What happened.</summary>
    public FrameReadStatus Status { get; }

    /// <summary>The message type (meaningful for <see cref="FrameReadStatus.Frame"/>).</summary>
    public MessageType Type { get; }

    /// <summary>The payload, owned by the caller (meaningful for <see cref="FrameReadStatus.Frame"/>).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The error for <see cref="FrameReadStatus.Error"/>, otherwise null.</summary>
    public ProtocolError? Error { get; }

    /// <summary>Why the stream ended, for <see cref="FrameReadStatus.Closed"/>; otherwise null.</summary>
    public string? CloseReason { get; }

    /// <summary>A complete frame.</summary>
    public static FrameReadResult ForFrame(MessageType type, ReadOnlyMemory<byte> payload) => new(FrameReadStatus.Frame, type, payload, null, null);

    /// <summary>A protocol error.</summary>
    public static FrameReadResult ForError(ProtocolError error) => new(FrameReadStatus.Error, default, default, error, null);

    /// <summary>The end of the stream.</summary>
    public static FrameReadResult ForClosed(string reason) => new(FrameReadStatus.Closed, default, default, null, reason);

    /// <summary>A cancelled read.</summary>
    public static FrameReadResult Canceled { get; } = new(FrameReadStatus.Canceled, default, default, null, null);

    /// <inheritdoc />
    public override string ToString() => Status switch
    {
        FrameReadStatus.Frame => $"Frame {Type} ({Payload.Length} bytes)",
        FrameReadStatus.Error => $"Error {Error}",
        FrameReadStatus.Closed => $"Closed ({CloseReason})",
        _ => "Canceled",
    };
}
