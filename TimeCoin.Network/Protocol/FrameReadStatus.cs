namespace TimeCoin.Network.Protocol;

/// <summary>The outcome of one <see cref="FrameReader.ReadAsync"/>.</summary>
internal enum FrameReadStatus
{
    /// <summary>A complete, checksummed frame of a known type.</summary>
    Frame,
    /// <summary>A protocol error; see <see cref="ProtocolError.ClosesConnection"/> for whether reading may continue.</summary>
    Error,
    /// <summary>The connection ended (cleanly, reset, or in the middle of a frame). Nothing more will be read.</summary>
    Closed,
    /// <summary>The read was cancelled by the caller's token or <c>CancelPendingRead</c>; reading may continue.</summary>
    Canceled,
}
