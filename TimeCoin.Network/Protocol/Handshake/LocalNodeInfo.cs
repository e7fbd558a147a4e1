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
    /// <summary>The protocol version this build speaks.</summary>
    public const uint CurrentProtocolVersion = 1;

    /// <summary>Our version message for one connection.</summary>
    public VersionMessage ToVersionMessage(ulong nonce, long timestampUnixSeconds) => new(
        ProtocolVersion, NetworkMagic, NetworkName, GenesisHash, NodeId, ListenAddress, BestHeight, TipHash,
        IsMasternode, nonce, timestampUnixSeconds, UserAgent);
}
