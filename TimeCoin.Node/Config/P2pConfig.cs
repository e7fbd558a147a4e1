namespace TimeCoin.Node.Config;

/// <summary>The <c>[p2p]</c> section: where the node listens, whom it dials and whom it trusts.</summary>
public sealed record P2pConfig
{
    /// <summary><c>listen</c>: the IP address the peer-to-peer listener binds to. Default <c>0.0.0.0</c> (all IPv4 interfaces).</summary>
    public string Listen { get; init; } = "0.0.0.0";

    /// <summary><c>port</c>: the peer-to-peer port. Default per network (mainnet 24000, testnet 24100, devnet 24200).</summary>
    public int Port { get; init; } = NetworkDefaults.P2pPort(NetworkName.Testnet);

    /// <summary>The public IP address (optionally ip:port) other nodes reach us at; announced in handshakes and in a
    /// masternode's signed announcements. Empty = the listen address (right only when it is a concrete address).</summary>
    public string ExternalAddress { get; init; } = "";

    /// <summary><c>max_inbound</c>: most inbound connections accepted at once. Default 125 (as Bitcoin Core).</summary>
    public int MaxInbound { get; init; } = 125;

    /// <summary><c>max_outbound</c>: ordinary outbound connections kept at once; up to 8 automatic entries (masternodes, discovered peers; 10 while peers lost earlier come back) are kept beyond it, and operator entries (single-address whitelist entries, persistent_peers) are always dialed. Default 16.</summary>
    public int MaxOutbound { get; init; } = 16;

    /// <summary><c>bootstrap_peers</c>: addresses (<c>ip</c>, <c>ip:port</c>, <c>host:port</c>, <c>[ipv6]:port</c>) dialed
    /// when there is no discovery URL or a discovery fetch fails; with discovery working they are not dialed.</summary>
    public IReadOnlyList<string> BootstrapPeers { get; init; } = [];

    /// <summary>
    /// <c>persistent_peers</c>: addresses (<c>ip</c>, <c>ip:port</c>, <c>[ipv6]:port</c>) the node always keeps dialing, beyond
    /// <see cref="MaxOutbound"/>, with the short reconnect backoff and never given up (Bitcoin Core's <c>addnode</c>). They
    /// are not whitelisted by being listed here: add them to <see cref="WhitelistedPeers"/> for that.
    /// </summary>
    public IReadOnlyList<string> PersistentPeers { get; init; } = [];

    /// <summary><c>whitelisted_peers</c>: IPs or CIDR ranges trusted by the operator, optionally prefixed by permissions (<c>"noban,prioritysync@10.0.0.0/8"</c>).</summary>
    public IReadOnlyList<string> WhitelistedPeers { get; init; } = [];

    /// <summary><c>blacklisted_peers</c>: IPs or CIDR ranges never connected to or accepted.</summary>
    public IReadOnlyList<string> BlacklistedPeers { get; init; } = [];

    /// <summary><c>discovery_url</c>: HTTP(S) URL returning the network's peer list; empty disables discovery. Default per network.</summary>
    public string DiscoveryUrl { get; init; } = NetworkDefaults.DiscoveryUrl(NetworkName.Testnet);

    /// <summary><c>discovery_interval_secs</c>: seconds between two discovery requests. Default 300.</summary>
    public int DiscoveryIntervalSecs { get; init; } = 300;

    /// <summary><c>auto_whitelist_discovered</c>: whitelist peers returned by the discovery URL. Default true.</summary>
    public bool AutoWhitelistDiscovered { get; init; } = true;

    /// <summary><c>auto_whitelist_masternodes</c>: whitelist masternodes proved at their address (signed announcement plus a handshake from that address with the announced key). Default true.</summary>
    public bool AutoWhitelistMasternodes { get; init; } = true;

    /// <summary><c>max_auto_whitelist</c>: most discovery whitelist entries kept (operator and masternode entries are not counted). Default 1000.</summary>
    public int MaxAutoWhitelist { get; init; } = 1000;

    /// <summary><c>max_masternode_whitelist</c>: most masternode whitelist entries (each proved by a handshake at its address); a cap of its own, so masternodes never crowd out discovery entries. Default 10000.</summary>
    public int MaxMasternodeWhitelist { get; init; } = 10_000;

    /// <summary><c>rate_limits</c> (<c>"heartbeat=250/2500"</c> lines): per message kind (type name, e.g. <c>Heartbeat</c>) a limit; kinds not listed use <see cref="DefaultRateLimit"/>. Default: the Core gossip limits.</summary>
    public IReadOnlyDictionary<string, TimeCoin.Core.Policy.RateLimit> RateLimits { get; init; } = TimeCoin.Core.Policy.PeerPolicyOptions.GossipRateLimits;

    /// <summary><c>rate_limits</c> line <c>default=rate/burst</c>: the limit of every other message kind. Default 20 a second, burst 100.</summary>
    public TimeCoin.Core.Policy.RateLimit DefaultRateLimit { get; init; } = new(20, 100);

    /// <summary><c>rate_limit_window_secs</c>: excess above a limit is scored at most once per this window. Default 60.</summary>
    public int RateLimitViolationWindowSecs { get; init; } = 60;
}
