using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Peers;

/// <summary>
/// A connected, handshaken peer as the rest of the node sees it, whatever the direction of the connection.
/// The connection layer owns the socket, liveness and the handshake; the node uses this to send and to read state.
/// </summary>
public interface IPeer
{
    /// <summary>The peer's node identity (Ed25519 public key), proven in the handshake.</summary>
    PublicKey NodeId { get; }

    /// <summary>A short stable id for logs, RPC and per-peer bookkeeping (the node id in hex).</summary>
    string PeerId { get; }

    /// <summary>Where the connection comes from or goes to.</summary>
    IPEndPoint RemoteEndPoint { get; }

    /// <summary>True when the remote dialed us.</summary>
    bool IsInbound { get; }

    /// <summary>
    /// The protocol version the peer said it speaks in its handshake: what it may be sent (for example
    /// <see cref="MessageType.HeaderAnnouncement"/> from <see cref="HeaderAnnouncementMessage.MinimumProtocolVersion"/>).
    /// </summary>
    uint ProtocolVersion { get; }

    /// <summary>True when the peer said it is a masternode in its handshake.</summary>
    bool IsMasternode { get; }

    /// <summary>The peer's permissions from the whitelist, read now (whitelisting a connected peer shows at once).</summary>
    PeerPermissions Permissions { get; }

    /// <summary>
    /// The best height the peer claims (handshake, then announcements and pongs): it only rises, is bounded by the slot
    /// schedule, and is never proof. Decisions (production, lag alert, best peer) use header-verified heights instead.
    /// </summary>
    long BestHeight { get; }

    /// <summary>The tip hash the peer reported most recently.</summary>
    Hash256 TipHash { get; }

    /// <summary>When the connection was established.</summary>
    DateTimeOffset ConnectedAt { get; }

    /// <summary>
    /// Queues <paramref name="message"/> for sending. Returns false when the connection is closed (the message is
    /// dropped; the caller treats the peer as gone).
    /// </summary>
    ValueTask<bool> SendAsync(NetworkMessage message, CancellationToken cancellationToken = default);

    /// <summary>Closes the connection with a reason that is logged and shown in RPC.</summary>
    void Disconnect(string reason);
}
