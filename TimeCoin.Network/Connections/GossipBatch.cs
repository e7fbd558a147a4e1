namespace TimeCoin.Network.Connections;

/// <summary>What one flush sends one peer: announcements first, then heartbeats, each in the order they were queued.</summary>
/// <param name="Announcements">Encoded signed announcements.</param>
/// <param name="Heartbeats">Encoded signed heartbeats.</param>
internal sealed record GossipBatch(IReadOnlyList<ReadOnlyMemory<byte>> Announcements, IReadOnlyList<ReadOnlyMemory<byte>> Heartbeats);
