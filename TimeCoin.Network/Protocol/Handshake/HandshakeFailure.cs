namespace TimeCoin.Network.Protocol;

/// <summary>Why a handshake did not complete.</summary>
public enum HandshakeFailure
{
    /// <summary>The peer is on another network (frame magic, version magic or network name). Severe.</summary>
    WrongNetwork,
    /// <summary>The peer follows another genesis block. Severe.</summary>
    WrongGenesis,
    /// <summary>The peer speaks a protocol version older than our minimum. Not a violation.</summary>
    IncompatibleVersion,
    /// <summary>We connected to ourselves (same node id or our own nonce came back). Not a violation.</summary>
    SelfConnection,
    /// <summary>The peer's acknowledgement signature does not verify with the node id it announced. Severe.</summary>
    BadSignature,
    /// <summary>The peer sent a bad frame, an undecodable payload, or a message out of order.</summary>
    ProtocolError,
    /// <summary>The connection ended before the handshake completed.</summary>
    ConnectionClosed,
    /// <summary>The handshake did not complete within the timeout.</summary>
    TimedOut,
    /// <summary>The caller cancelled the handshake.</summary>
    Canceled,
}
