using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Peers;

/// <summary>
/// How a protocol error becomes a <see cref="ViolationKind"/> for the peer policy. Severe: wrong network (also a
/// foreign frame magic), wrong genesis, a forged handshake signature and an oversized frame. Everything else a peer
/// can get wrong in a frame or message counts as a malformed message (ordinary).
/// </summary>
internal static class ProtocolViolationMapping
{
    /// <summary>The violation kind recorded for <paramref name="kind"/>.</summary>
    public static ViolationKind ToViolationKind(ProtocolErrorKind kind) => kind switch
    {
        ProtocolErrorKind.BadMagic or ProtocolErrorKind.WrongNetwork => ViolationKind.WrongNetwork,
        ProtocolErrorKind.WrongGenesis => ViolationKind.WrongGenesis,
        ProtocolErrorKind.Oversized => ViolationKind.OversizedFrame,
        ProtocolErrorKind.BadHandshakeSignature => ViolationKind.ForgedSignature,
        _ => ViolationKind.MalformedMessage,
    };
}
