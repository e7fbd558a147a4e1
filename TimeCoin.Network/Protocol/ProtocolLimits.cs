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

    /// <summary>
    /// Most announcements in one <see cref="MasternodeGossipMessage"/> (the announcement rate limit's burst: more could
    /// not be taken from one peer at once anyway).
    /// </summary>
    internal const int MaxGossipAnnouncementsPerBatch = 1000;

    /// <summary>
    /// Most heartbeats in one <see cref="MasternodeGossipMessage"/>: 10,000 masternodes beat about 167 times a second,
    /// so one trickle interval of at most 7.5 s carries about 1,250; the heartbeat rate limit's burst is 2,500.
    /// </summary>
    internal const int MaxGossipHeartbeatsPerBatch = 2000;

    /// <summary>
    /// Most bytes of one item in a <see cref="MasternodeGossipMessage"/>, checked before it is copied. A heartbeat is at
    /// most 219 bytes and an announcement 204 (TimeCoin.Core's encodings); the bound leaves room for a later version.
    /// </summary>
    internal const int MaxGossipItemBytes = 512;

    /// <summary>
    /// Most bytes of the header in a <see cref="HeaderAnnouncementMessage"/>, checked before it is copied. A header is
    /// 192 bytes (TimeCoin.Core's encoding); the bound leaves room for a later version.
    /// </summary>
    public const int MaxAnnouncedHeaderBytes = 512;

    /// <summary>Most UTF-8 bytes in a string field (network name, user agent).</summary>
    public const int MaxStringBytes = 256;

    /// <summary>
    /// The largest payload of a frame read before the handshake completes (4 KiB): the only messages then are a
    /// Version (at most about 700 bytes: two strings of at most 256 bytes and fixed fields) and a VerAck (64 bytes).
    /// A longer frame header closes the connection at once as an oversized frame, so a connection in its handshake
    /// holds kilobytes, not the 4 MiB of <see cref="DefaultMaxPayloadLength"/>.
    /// </summary>
    public const int MaxHandshakePayloadLength = 4 * 1024;

    /// <summary>
    /// The default largest payload of one frame (4 MiB); a larger length in a frame header closes the connection
    /// before anything is allocated. <see cref="Connections.ConnectionManagerOptions.MaxPayloadLength"/> can lower it.
    /// </summary>
    public const int DefaultMaxPayloadLength = FrameFormat.DefaultMaxPayloadLength;
}
