namespace TimeCoin.Network.Connections;

/// <summary>Where the connection manager learned a dialable address; earlier values are dialed first.</summary>
public enum AddressSource
{
    /// <summary>Configured as persistent or whitelisted: dialed always, never given up.</summary>
    Persistent,
    /// <summary>A known masternode (from an accepted announcement): dialed always, never given up.</summary>
    Masternode,
    /// <summary>The discovery service.</summary>
    Discovery,
    /// <summary>Configured bootstrap peers (fallback when discovery fails).</summary>
    Bootstrap,
    /// <summary>Learned from another peer's address list.</summary>
    Gossip,
}
