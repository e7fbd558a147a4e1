
namespace TimeCoin.Network.Protocol;

/// <summary>The masternodes the sender knows, as their signed announcements (opaque here).</summary>
/// <param name="Announcements">At most <see cref="ProtocolLimits.MaxMasternodesPerMessage"/> encoded announcements.</param>
public sealed record MasternodesMessage(IReadOnlyList<ReadOnlyMemory<byte>> Announcements) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.Masternodes;
}
