namespace TimeCoin.Simulation.Hostile;

/// <summary>What a <see cref="HostileHost"/> does to the honest nodes it reaches (issue 9's four attacks).</summary>
internal enum HostileRole
{
    /// <summary>Floods unsolicited 4 MiB <c>Blocks</c> messages.</summary>
    Flooder,

    /// <summary>Claims absurd heights in its handshake, its pongs and its block announcements, and proves none.</summary>
    Liar,

    /// <summary>Sends 10,000 masternode announcements for made-up masternodes: genuinely signed ones (relayed: the sender is not the masternode) and forged ones.</summary>
    Announcer,

    /// <summary>Opens connections up to the inbound limit from many addresses and idles (no pongs; some never even send a version).</summary>
    Idler,

    /// <summary>
    /// Claims a height far above the chain that still fits every field (<see cref="HostileHost.QuietClaim"/>) in its
    /// handshake, its pongs and a block announcement of a made-up tip every 10 s, and answers header and block requests
    /// with nothing: nothing it sends is malformed, so only the sync planner's claim check can catch it. Not one of
    /// scenario (i)'s four roles.
    /// </summary>
    QuietLiar,
}
