namespace TimeCoin.Network.Protocol;

/// <summary>What was wrong with what a peer sent: framing, decoding, protocol order or handshake content.</summary>
internal enum ProtocolErrorKind
{
    /// <summary>The frame did not start with our network's magic (another network, or garbage).</summary>
    BadMagic,
    /// <summary>The frame header announced a payload above the maximum; rejected before any allocation.</summary>
    Oversized,
    /// <summary>The payload does not match the frame checksum.</summary>
    BadChecksum,
    /// <summary>The frame is intact but its message type is not one we know.</summary>
    UnknownType,
    /// <summary>The frame is intact but its payload does not decode as its message type.</summary>
    Undecodable,
    /// <summary>A well-formed message arrived where the protocol does not allow it (e.g. before the handshake).</summary>
    UnexpectedMessage,
    /// <summary>The handshake named another network (name or magic).</summary>
    WrongNetwork,
    /// <summary>The handshake named another genesis block.</summary>
    WrongGenesis,
    /// <summary>The handshake acknowledgement's signature does not verify with the announced node key.</summary>
    BadHandshakeSignature,
}
