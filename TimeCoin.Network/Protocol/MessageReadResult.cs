namespace TimeCoin.Network.Protocol;

/// <summary>One result of <see cref="MessageReader.ReadAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Message">The message, for <see cref="MessageReadStatus.Message"/>.</param>
/// <param name="Error">The error, for <see cref="MessageReadStatus.Error"/>.</param>
/// <param name="CloseReason">Why the stream ended, for <see cref="MessageReadStatus.Closed"/>.</param>
internal readonly record struct MessageReadResult(MessageReadStatus Status, NetworkMessage? Message, ProtocolError? Error, string? CloseReason)
{
    /// <summary>True when the caller must close the connection: it ended, or an error lost frame sync.</summary>
    public bool MustClose => Status == MessageReadStatus.Closed || Error is { ClosesConnection: true };
}
