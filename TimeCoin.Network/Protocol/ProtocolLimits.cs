namespace TimeCoin.Network.Protocol;

/// <summary>
/// Bounds on every list and string in a message. The decoder checks each count against its bound, and against the
/// bytes actually left in the payload, before it allocates anything.
/// </summary>
public static class ProtocolLimits
{
    /// <summary>Most hashes in a <see cref="GetHeadersMessage"/> locator (as Bitcoin Core: 101).</summary>
    public const int MaxLocatorHashes = 101;

    /// <summary>Most headers in one <see cref="HeadersMessage"/> (as Bitcoin Core: 2000).</summary>
    public const int MaxHeadersPerMessage = 2000;

    /// <summary>Most hashes in a <see cref="GetBlocksMessage"/> and blocks in a <see cref="BlocksMessage"/>.</summary>
    public const int MaxBlocksPerMessage = 128;

    /// <summary>Most endpoints in a <see cref="PeersMessage"/> (as Bitcoin Core's addr: 1000).</summary>
    public const int MaxPeersPerMessage = 1000;

    /// <summary>Most announcements in a <see cref="MasternodesMessage"/>.</summary>
    public const int MaxMasternodesPerMessage = 2000;

    /// <summary>Most UTF-8 bytes in a string field (network name, user agent).</summary>
    public const int MaxStringBytes = 256;

    /// <summary>
    /// The default largest payload of one frame (4 MiB); a larger length in a frame header closes the connection
    /// before anything is allocated. <see cref="Connections.ConnectionManagerOptions.MaxPayloadLength"/> can lower it.
    /// </summary>
    public const int DefaultMaxPayloadLength = FrameFormat.DefaultMaxPayloadLength;
}
