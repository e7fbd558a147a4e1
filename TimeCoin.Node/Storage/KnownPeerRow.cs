namespace TimeCoin.Node.Storage;

/// <summary>A peer address the node has learned, kept across restarts so reconnection never starts from nothing.</summary>
/// <param name="Endpoint">"ip:port".</param>
/// <param name="Source">Where it was learned (config, discovery, gossip, inbound).</param>
/// <param name="LastSeen">When it was last heard of.</param>
/// <param name="LastConnected">When a connection last succeeded, if ever.</param>
/// <param name="Failures">Consecutive failed dials.</param>
public sealed record KnownPeerRow(string Endpoint, string Source, DateTimeOffset LastSeen, DateTimeOffset? LastConnected, int Failures);
