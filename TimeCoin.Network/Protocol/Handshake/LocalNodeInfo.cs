using System.Net;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>What this node says about itself in its <see cref="VersionMessage"/>, and what it requires of peers.</summary>
/// <param name="ProtocolVersion">Our protocol version.</param>
/// <param name="MinimumProtocolVersion">Oldest peer protocol version we accept.</param>
/// <param name="NetworkMagic">Our network magic.</param>
/// <param name="NetworkName">Our network name (compared exactly, ordinal).</param>
/// <param name="GenesisHash">Our genesis block hash.</param>
/// <param name="NodeId">Our node identity key.</param>
/// <param name="ListenAddress">Where we accept connections, or null.</param>
/// <param name="BestHeight">Our best height when the handshake starts.</param>
/// <param name="TipHash">Our best block hash when the handshake starts.</param>
/// <param name="IsMasternode">True when we run as a masternode.</param>
/// <param name="UserAgent">Software name and version.</param>
internal sealed record LocalNodeInfo(
    uint ProtocolVersion,
    uint MinimumProtocolVersion,
    NetworkMagic NetworkMagic,
    string NetworkName,
    Hash256 GenesisHash,
    PublicKey NodeId,
    IPEndPoint? ListenAddress,
    ulong BestHeight,
    Hash256 TipHash,
    bool IsMasternode,
    string UserAgent)
{
    /// <summary>
    /// The protocol version this build speaks: 3 (version 1, plus <see cref="MessageType.MasternodeGossip"/> batches
    /// from 2, plus <see cref="MessageType.HeaderAnnouncement"/> from 3).
    /// </summary>
    public const uint CurrentProtocolVersion = 3;

    /// <summary>
    /// The oldest peer version a node accepts: 1. Such a peer gets masternode gossip as single messages, because it
    /// would score a batch's unknown message type as a malformed message.
    /// </summary>
    public const uint MinimumSupportedProtocolVersion = 1;

    /// <summary>The first protocol version that understands <see cref="MessageType.MasternodeGossip"/>.</summary>
    public const uint GossipBatchProtocolVersion = 2;

    /// <summary>The first protocol version that understands <see cref="MessageType.HeaderAnnouncement"/>.</summary>
    public const uint HeaderAnnouncementProtocolVersion = HeaderAnnouncementMessage.MinimumProtocolVersion;

    /// <summary>Our version message for one connection.</summary>
    public VersionMessage ToVersionMessage(ulong nonce, long timestampUnixSeconds) => new(
        ProtocolVersion, NetworkMagic, NetworkName, GenesisHash, NodeId, ListenAddress, BestHeight, TipHash,
        IsMasternode, nonce, timestampUnixSeconds, UserAgent);
}
