namespace TimeCoin.Network.Connections;

/// <summary>Where the connection manager learned a dialable address; earlier values are dialed first.</summary>
public enum AddressSource
{
    /// <summary>An operator's entry (single-address config whitelist entry, persistent peer, <see cref="ConnectionManager.AddPeer"/> with persistent): dialed always, never given up.</summary>
    Persistent,
    /// <summary>A known masternode (from an accepted announcement): an automatic entry, at most <see cref="ConnectionManagerOptions.MaxAutomaticOutbound"/> of them dialed at once; never given up once it has connected (one that fails 5 dials without ever connecting is dropped until announced again).</summary>
    Masternode,
    /// <summary>The discovery service: an automatic entry, like <see cref="Masternode"/>.</summary>
    Discovery,
    /// <summary>Configured bootstrap peers (fallback when discovery fails).</summary>
    Bootstrap,
    /// <summary>Learned from another peer's address list (dropped after 5 dials that never connected).</summary>
    Gossip,
}
