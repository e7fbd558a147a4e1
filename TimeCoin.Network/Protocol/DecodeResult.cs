using System.Diagnostics.CodeAnalysis;

namespace TimeCoin.Network.Protocol;

/// <summary>The result of <see cref="MessageCodec.Decode(MessageType, ReadOnlySpan{byte})"/>: a message or an <see cref="ProtocolErrorKind.Undecodable"/> error.</summary>
internal readonly struct DecodeResult
{
    private DecodeResult(NetworkMessage? message, ProtocolError? error)
    {
        Message = message;
        Error = error;
    }

    /// <summary>The decoded message, or null on failure.</summary>
    public NetworkMessage? Message { get; }

    /// <summary>The error, or null on success.</summary>
    public ProtocolError? Error { get; }

    /// <summary>True when <see cref="Message"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Message))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Message is not null;

    /// <summary>A success.</summary>
    public static DecodeResult Success(NetworkMessage message) => new(message, null);

    /// <summary>A failure.</summary>
    public static DecodeResult Failure(ProtocolError error) => new(null, error);
}
