namespace TimeCoin.Network.Protocol;

/// <summary>Asks the peer for the masternodes it knows (<see cref="MasternodesMessage"/>). No payload.</summary>
public sealed record GetMasternodesMessage : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.GetMasternodes;
}
