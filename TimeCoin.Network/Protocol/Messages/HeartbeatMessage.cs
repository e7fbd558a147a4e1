
namespace TimeCoin.Network.Protocol;

/// <summary>A masternode heartbeat signed with the masternode key, encoded and verified by TimeCoin.Core (opaque here).</summary>
/// <param name="Heartbeat">The encoded signed heartbeat.</param>
public sealed record HeartbeatMessage(ReadOnlyMemory<byte> Heartbeat) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Heartbeat;
}
