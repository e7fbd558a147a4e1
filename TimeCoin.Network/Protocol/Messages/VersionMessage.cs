using System.Net;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// The first message each side sends: who it is and which chain it follows. Checked by <see cref="HandshakeRules"/>.
/// </summary>
/// <param name="ProtocolVersion">The sender's protocol version.</param>
/// <param name="NetworkMagic">The sender's network magic (also in every frame header).</param>
/// <param name="NetworkName">The sender's network name, e.g. "mainnet" (at most <see cref="ProtocolLimits.MaxStringBytes"/> UTF-8 bytes).</param>
/// <param name="GenesisHash">Hash of the sender's genesis block.</param>
/// <param name="NodeId">The sender's node identity key; proven by the signature in its <see cref="VerAckMessage"/>.</param>
/// <param name="ListenAddress">Where the sender accepts connections, or null when it does not listen.</param>
/// <param name="BestHeight">The sender's best chain height.</param>
/// <param name="TipHash">The sender's best block hash.</param>
/// <param name="IsMasternode">True when the sender runs as a masternode.</param>
/// <param name="Nonce">Random per connection: detects connecting to ourselves and is what the peer's VerAck signs.</param>
/// <param name="Timestamp">Sender clock, Unix seconds.</param>
/// <param name="UserAgent">Software name and version (at most <see cref="ProtocolLimits.MaxStringBytes"/> UTF-8 bytes).</param>
public sealed record VersionMessage(
    uint ProtocolVersion,
    NetworkMagic NetworkMagic,
    string NetworkName,
    Hash256 GenesisHash,
    PublicKey NodeId,
    IPEndPoint? ListenAddress,
    ulong BestHeight,
    Hash256 TipHash,
    bool IsMasternode,
    ulong Nonce,
    long Timestamp,
    string UserAgent) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Version;
}
