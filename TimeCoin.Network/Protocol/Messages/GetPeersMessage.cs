namespace TimeCoin.Network.Protocol;

/// <summary>Asks the peer for the addresses it knows (<see cref="PeersMessage"/>). No payload.</summary>
public sealed record GetPeersMessage : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.GetPeers;
}
