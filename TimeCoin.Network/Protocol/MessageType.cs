namespace TimeCoin.Network.Protocol;

/// <summary>The message type field of a frame (two bytes, little-endian). Values are fixed forever once released.</summary>
public enum MessageType : ushort
{
    /// <summary>Handshake: who we are and what chain we follow (<see cref="VersionMessage"/>).</summary>
    Version = 1,
    /// <summary>Handshake acknowledgement with a proof of the node key (<see cref="VerAckMessage"/>).</summary>
    VerAck = 2,
    /// <summary>Liveness probe (<see cref="PingMessage"/>).</summary>
    Ping = 3,
    /// <summary>Liveness reply (<see cref="PongMessage"/>).</summary>
    Pong = 4,
    /// <summary>Request for headers after a locator (<see cref="GetHeadersMessage"/>).</summary>
    GetHeaders = 5,
    /// <summary>Encoded headers (<see cref="HeadersMessage"/>).</summary>
    Headers = 6,
    /// <summary>Request for blocks by hash (<see cref="GetBlocksMessage"/>).</summary>
    GetBlocks = 7,
    /// <summary>Encoded blocks (<see cref="BlocksMessage"/>).</summary>
    Blocks = 8,
    /// <summary>A new block by hash and height (<see cref="BlockAnnouncementMessage"/>).</summary>
    BlockAnnouncement = 9,
    /// <summary>Request for known peer addresses (<see cref="GetPeersMessage"/>).</summary>
    GetPeers = 10,
    /// <summary>Known peer addresses (<see cref="PeersMessage"/>).</summary>
    Peers = 11,
    /// <summary>A signed masternode announcement (<see cref="MasternodeAnnouncementMessage"/>).</summary>
    MasternodeAnnouncement = 12,
    /// <summary>A signed masternode heartbeat (<see cref="HeartbeatMessage"/>).</summary>
    Heartbeat = 13,
    /// <summary>Request for known masternodes (<see cref="GetMasternodesMessage"/>).</summary>
    GetMasternodes = 14,
    /// <summary>Known masternodes as signed announcements (<see cref="MasternodesMessage"/>).</summary>
    Masternodes = 15,
    /// <summary>An orderly close: the sender closes the connection on purpose (<see cref="GoodbyeMessage"/>).</summary>
    Goodbye = 16,
    /// <summary>
    /// A batch of relayed masternode announcements and heartbeats (protocol version 2; sent only to peers that speak
    /// it, older peers get the single messages).
    /// </summary>
    MasternodeGossip = 17,
    /// <summary>
    /// A new block by hash and height with its header, so a peer whose chain it extends asks for the block at once,
    /// without a header round trip (protocol version 3; <see cref="HeaderAnnouncementMessage"/>). Older peers get
    /// <see cref="BlockAnnouncement"/>.
    /// </summary>
    HeaderAnnouncement = 18,
}
