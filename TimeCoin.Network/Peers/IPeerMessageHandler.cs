using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Peers;

/// <summary>
/// The node's side of every connection. One handler instance serves every peer, inbound and outbound alike, so
/// both directions get exactly the same service. The connection layer handles Version/VerAck, Ping/Pong,
/// GetPeers/Peers, masternode announcements and heartbeats itself and passes every other message here
/// (headers, blocks, block announcements and the requests for them).
/// </summary>
public interface IPeerMessageHandler
{
    /// <summary>A peer completed its handshake and is ready.</summary>
    void OnPeerConnected(IPeer peer);

    /// <summary>A message arrived from <paramref name="peer"/>. Called sequentially per peer, concurrently across peers.</summary>
    ValueTask OnMessageAsync(IPeer peer, NetworkMessage message, CancellationToken cancellationToken);

    /// <summary>The peer's connection closed (for any reason); its requests must move elsewhere.</summary>
    void OnPeerDisconnected(IPeer peer, string reason);
}
