using System.Net;
using TimeCoin.Core.Liveness;
using TimeCoin.Network.Discovery;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Connections;

/// <summary>Settings for <see cref="ConnectionManager"/>. The node fills them from its configuration.</summary>
public sealed record ConnectionManagerOptions
{
    /// <summary>Where to accept inbound connections (port 0 picks one); null to accept none.</summary>
    public IPEndPoint? ListenEndPoint { get; init; }

    /// <summary>The endpoint announced in our version message; the bound listen endpoint when null.</summary>
    public IPEndPoint? AdvertisedEndPoint { get; init; }

    /// <summary>The network's P2P port, used for addresses written without one. Default 24000 (mainnet).</summary>
    public int DefaultPort { get; init; } = 24000;

    /// <summary>Ordinary outbound connections to keep (bootstrap and gossiped addresses). Default 8.</summary>
    public int TargetOutbound { get; init; } = 8;

    /// <summary>
    /// Most automatic entries (known masternodes, discovered and automatically whitelisted addresses) connected or
    /// being dialed at once, in addition to <see cref="TargetOutbound"/>; manual entries are dialed beyond it. Default 8.
    /// </summary>
    public int MaxAutomaticOutbound { get; init; } = 8;

    /// <summary>
    /// Automatic outbound slots beyond <see cref="MaxAutomaticOutbound"/> that only lost peers may use. Default 2.
    /// </summary>
    /// <remarks>
    /// A lost peer is an automatic entry whose outbound connection lasted <see cref="StableConnectionAfter"/> and then
    /// ended, not by our ban. Each node remembers at most 4 × <see cref="MaxAutomaticOutbound"/> of them, the most
    /// recent, for at most a day. While its slots are full, a node keeps redialing lost peers on their backoff
    /// (whatever their class has become since), the one waiting longest first, and up to this many of them may
    /// connect beyond the bound.
    ///
    /// Without these slots a split did not heal. While the two sides were cut off, each node refilled the slots of its
    /// lost peers with peers from its own side. The peers across the old split were then never dialed again, and when
    /// the link came back the two sides stayed two networks (simulation scenario c at 100 nodes). A peer learned later,
    /// one the node never had, gets no extra slot: announcing addresses cannot push out a node's peers.
    /// </remarks>
    public int LostPeerRedialSlots { get; init; } = 2;

    /// <summary>Config <c>whitelisted_peers</c>: whitelist lines (<c>perms@range</c> or a range), added as config entries before listening. Single addresses are also dialed on <see cref="DefaultPort"/>.</summary>
    public IReadOnlyList<string> WhitelistedPeers { get; init; } = [];

    /// <summary>Config <c>blacklisted_peers</c>: addresses or ranges banned permanently before listening.</summary>
    public IReadOnlyList<string> BlacklistedPeers { get; init; } = [];

    /// <summary>Config <c>bootstrap_peers</c>: "ip" or "ip:port"; used when discovery fails or is not configured.</summary>
    public IReadOnlyList<string> BootstrapPeers { get; init; } = [];

    /// <summary>
    /// Peers always kept connected ("ip", "ip:port" or "[ipv6]:port"): dialed beyond <see cref="TargetOutbound"/>, redialed
    /// with the persistent backoff and never given up, as Bitcoin Core's <c>addnode</c> (the node's <c>persistent_peers</c>).
    /// Being listed does not whitelist a peer.
    /// </summary>
    public IReadOnlyList<string> PersistentPeers { get; init; } = [];

    /// <summary>The discovery URL; null disables discovery (bootstrap peers are used).</summary>
    public Uri? DiscoveryUrl { get; init; }

    /// <summary>HTTP client for discovery; one is created (and disposed) by the manager when null.</summary>
    public HttpClient? DiscoveryHttpClient { get; init; }

    /// <summary>Discovery timeout and caps.</summary>
    public DiscoveryOptions Discovery { get; init; } = new();

    /// <summary>How often discovery is fetched again. Default 10 min.</summary>
    public TimeSpan DiscoveryInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Config <c>auto_whitelist_discovered</c>: give every discovered address a discovery whitelist entry.</summary>
    public bool AutoWhitelistDiscovered { get; init; }

    /// <summary>Config <c>auto_whitelist_masternodes</c>: give each masternode proved at its announced address (a handshake there carrying its key) a masternode whitelist entry (see <see cref="MasternodeWhitelist"/>).</summary>
    public bool AutoWhitelistMasternodes { get; init; }

    /// <summary>True when this node runs as a masternode (announced in the handshake).</summary>
    public bool IsMasternode { get; init; }

    /// <summary>Our user agent.</summary>
    public string UserAgent { get; init; } = "TimeCoin.Net/0.1";

    /// <summary>Ping intervals, pong timeouts and limits.</summary>
    public PingOptions Ping { get; init; } = PingOptions.Default;

    /// <summary>Handshake deadline.</summary>
    public HandshakeOptions Handshake { get; init; } = new();

    /// <summary>Reconnection delays.</summary>
    internal ReconnectBackoff Reconnect { get; init; } = ReconnectBackoff.Default;

    /// <summary>A connection that lasted this long resets its address's failure count. Default 60 s.</summary>
    public TimeSpan StableConnectionAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Deadline for a TCP dial. Default 10 s.</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest the dialer sleeps. It wakes when a dial falls due (an address's retry or backoff, a ban's end) and
    /// on every event that can make a dial possible (a connection or dial ends, an address is learned or promoted, a
    /// whitelist change, a ban lifted), so this is only a safety net for a path that changes what can be dialed without
    /// waking it: such a dial is late by at most this much. Default 30 s (120 wakes an hour; it was a 1 s poll).
    /// </summary>
    public TimeSpan DialInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most inbound connections in the handshake at once; more are refused. Default 64. Whitelisted addresses have a
    /// pool of the same size of their own, so connections that never finish their handshake cannot lock them out.
    /// </summary>
    public int MaxPendingInboundHandshakes { get; init; } = 64;

    /// <summary>
    /// Most inbound connections in the handshake at once from one IP address (whitelisted or not); more from that
    /// address are refused. Default 4: one address cannot hold every pending slot of <see cref="MaxPendingInboundHandshakes"/>.
    /// Loopback addresses are not limited (local nodes and tests; whoever dials from there is on this machine).
    /// </summary>
    public int MaxPendingInboundHandshakesPerIp { get; init; } = 4;

    /// <summary>Most addresses kept for dialing. Default 2000.</summary>
    public int MaxKnownAddresses { get; init; } = 2000;

    /// <summary>Messages queued per connection before senders wait. Default 256.</summary>
    public int SendQueueCapacity { get; init; } = 256;

    /// <summary>
    /// Hashes remembered for relay deduplication (the seen-cache). Default 50,000: five minutes of heartbeats from
    /// 10,000 masternodes (one a minute each); an older heartbeat is refused by its sequence number anyway.
    /// </summary>
    public int RelayFilterCapacity { get; init; } = 50_000;

    /// <summary>
    /// Peers each gossip flush relays heartbeats and announcements to, picked at random among the peers that lack some
    /// pending item (our own items go to every peer). Default 8.
    /// </summary>
    public int RelayFanOut { get; init; } = 8;

    /// <summary>
    /// Mean time between gossip flushes (default 5 s): masternode heartbeats and announcements to relay (and our own)
    /// wait in a queue and leave together, one batch frame per peer, after a wait drawn uniformly from half to one and
    /// a half times this (2.5-7.5 s by default; Bitcoin Core trickles transaction inventory on timers of the same order).
    /// Each hop adds at most 1.5 times this to an item's propagation. Internal: tests and the simulation set it; a
    /// node runs the default.
    /// </summary>
    internal TimeSpan GossipTrickleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often one peer is asked for its masternode list (<c>GetMasternodes</c>) when it relays heartbeats of
    /// masternodes we have not seen announced. Default 2 min. Every copy of such a heartbeat used to ask again, and
    /// each answer carries every announcement the peer knows: in a 100-masternode simulation that was 88 % of all
    /// bytes (about 5,000 lists per node-hour). Announcements also spread by themselves (every masternode
    /// re-announces every few minutes), so one list per peer per interval is enough.
    /// </summary>
    public TimeSpan MasternodeListRequestInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Disconnects remembered for RPC. Default 200.</summary>
    public int DisconnectHistorySize { get; init; } = 200;

    /// <summary>How long a stop waits for goodbyes to drain before closing every connection. Default 2 s.</summary>
    public TimeSpan GoodbyeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Hard maximum frame payload. Default 4 MiB.</summary>
    public int MaxPayloadLength { get; init; } = FrameFormat.DefaultMaxPayloadLength;

    /// <summary>
    /// Source of handshake nonces; null (the default, and what production uses) takes them from the cryptographic
    /// random source. A simulation passes a seeded source so that a run replays exactly.
    /// </summary>
    public Func<ulong>? HandshakeNonceSource { get; init; }

    /// <summary>Every problem with these options, each naming the option; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DefaultPort is < 1 or > 65535)
            errors.Add($"DefaultPort must be 1-65535, got {DefaultPort}.");
        if (MaxAutomaticOutbound < 0)
            errors.Add($"MaxAutomaticOutbound must not be negative, got {MaxAutomaticOutbound}.");
        if (LostPeerRedialSlots < 0)
            errors.Add($"LostPeerRedialSlots must not be negative, got {LostPeerRedialSlots}.");
        if (TargetOutbound < 0)
            errors.Add($"TargetOutbound must not be negative, got {TargetOutbound}.");
        if (DiscoveryInterval <= TimeSpan.Zero)
            errors.Add("DiscoveryInterval must be positive.");
        if (DialTimeout <= TimeSpan.Zero)
            errors.Add("DialTimeout must be positive.");
        if (DialInterval <= TimeSpan.Zero)
            errors.Add("DialInterval must be positive.");
        if (MasternodeListRequestInterval < TimeSpan.Zero)
            errors.Add("MasternodeListRequestInterval must not be negative.");
        if (GoodbyeTimeout < TimeSpan.Zero)
            errors.Add("GoodbyeTimeout must not be negative.");
        if (MaxPendingInboundHandshakes < 1)
            errors.Add("MaxPendingInboundHandshakes must be at least 1.");
        if (MaxPendingInboundHandshakesPerIp < 1)
            errors.Add("MaxPendingInboundHandshakesPerIp must be at least 1.");
        if (MaxKnownAddresses < 1)
            errors.Add("MaxKnownAddresses must be at least 1.");
        if (SendQueueCapacity < 1)
            errors.Add("SendQueueCapacity must be at least 1.");
        if (RelayFanOut < 1)
            errors.Add("RelayFanOut must be at least 1.");
        if (GossipTrickleInterval <= TimeSpan.Zero)
            errors.Add("GossipTrickleInterval must be positive.");
        if (RelayFilterCapacity < 1)
            errors.Add("RelayFilterCapacity must be at least 1.");
        if (DisconnectHistorySize < 1)
            errors.Add("DisconnectHistorySize must be at least 1.");
        errors.AddRange(Ping.Validate().Select(e => "Ping: " + e));
        return errors;
    }
}
