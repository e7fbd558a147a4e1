namespace TimeCoin.Network.Connections;

/// <summary>How the dialer treats an address (see <see cref="DialSetSelector"/>).</summary>
internal enum DialClass
{
    /// <summary>An operator's entry (single-address config whitelist entry, <see cref="ConnectionManagerOptions.PersistentPeers"/>, <see cref="ConnectionManager.AddPeer"/> with persistent): always dialed.</summary>
    Manual,

    /// <summary>An automatic entry (a masternode, a discovered or automatically whitelisted address): dialed within a bound, never given up (except an address learned from the network that never connected, see <see cref="ConnectionManager.UnansweredDialLimit"/>).</summary>
    Automatic,

    /// <summary>Anything else (bootstrap, gossip): fills the ordinary outbound target.</summary>
    Ordinary,
}
