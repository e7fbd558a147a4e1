namespace TimeCoin.Network.Protocol;

/// <summary>The outcome of one <see cref="MessageReader.ReadAsync"/>.</summary>
internal enum MessageReadStatus
{
    /// <summary>A decoded message.</summary>
    Message,
    /// <summary>A protocol error (already reported to the violation sink).</summary>
    Error,
    /// <summary>The connection ended; nothing more will be read.</summary>
    Closed,
    /// <summary>The read was cancelled; reading may continue.</summary>
    Canceled,
}
