using Microsoft.Extensions.Logging;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;
using TimeCoin.Node.Storage;
using TimeCoin.Sync;

namespace TimeCoin.Node.Sync;

/// <summary>
/// The node's chain-sync side of every connection (<see cref="IPeerMessageHandler"/>): serves headers and blocks to
/// every peer alike, inbound or outbound; decodes and checks the headers and blocks peers send and hands them, with
/// announcements and connects/disconnects, to the <see cref="SyncCoordinator"/>; announces our new tips to peers.
/// </summary>
/// <remarks>
/// Serving runs on the calling connection's thread and only reads the chain (thread-safe), so a slow peer never
/// holds up the sync loop. The constructor subscribes to <see cref="SyncCoordinator.TipChanged"/>, so blocks the
/// coordinator connects are announced without further wiring; blocks the node produces itself are announced with
/// <see cref="AnnounceAsync"/>.
/// </remarks>
public sealed class ChainSyncService : IPeerMessageHandler
{
    private readonly ChainStore _chain;
    private readonly SyncCoordinator _coordinator;
    private readonly ILogger _logger;
    private readonly ChainSyncServiceOptions _options;
    // Ordered by peer id, so announcements go out in one order for one set of peers (a hash-ordered dictionary would
    // tie the order to the runtime's string hashing; the whole-network simulation replays runs exactly).
    private readonly SortedDictionary<string, RelayPeer> _peers = new(StringComparer.Ordinal);
    // Each connection's record by the connection itself (a reference look-up per received announcement or reply).
    private readonly Dictionary<IPeer, RelayPeer> _byConnection = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _peersGate = new();
    // _peers' values in peer id order, rebuilt on connect and disconnect only (every announcement reads it).
    private volatile RelayPeer[] _ordered = [];

    /// <summary>
    /// A connected peer and the highest block it is known to have: one it announced, delivered or sent as a header
    /// to us, or one we announced to it (recorded when the announcement is queued for sending, so two announcers of
    /// one block do not both send it; a send that fails leaves the record, which goes with the closed connection).
    /// Bounded: one hash and height per peer. Only believed for blocks on our own active chain (see
    /// <see cref="PeerHas"/>), and a record our chain does not confirm (a hash that is not ours at its height, a
    /// made-up height) gives way to any later one, so a made-up claim changes nothing but what this peer is sent, and
    /// only until its next message.
    /// </summary>
    private sealed class RelayPeer(IPeer peer)
    {
        private readonly Lock _gate = new();
        private Hash256 _knownHash;
        private long _knownHeight = -1;

        public IPeer Peer { get; } = peer;

        /// <summary>
        /// Records that the peer has <paramref name="hash"/> at <paramref name="height"/>: kept if higher than what it
        /// had, or if what it had is not on <paramref name="chain"/> at its height.
        /// </summary>
        public void Knows(Hash256 hash, long height, ChainState chain)
        {
            lock (_gate)
            {
                if (height <= _knownHeight && chain.GetHashAtHeight(_knownHeight) == _knownHash)
                    return;
                _knownHash = hash;
                _knownHeight = height;
            }
        }

        public (Hash256 Hash, long Height) Known
        {
            get { lock (_gate) return (_knownHash, _knownHeight); }
        }
    }

    /// <summary>Creates the service.</summary>
    /// <param name="chain">The node's chain (read to serve peers).</param>
    /// <param name="coordinator">Receives what peers report and deliver.</param>
    /// <param name="logger">Log sink.</param>
    /// <param name="options">Reply bounds; defaults when null.</param>
    public ChainSyncService(ChainStore chain, SyncCoordinator coordinator, ILogger<ChainSyncService> logger, ChainSyncServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(logger);
        options ??= new ChainSyncServiceOptions();
        options.Validate();
        _chain = chain;
        _coordinator = coordinator;
        _logger = logger;
        _options = options;
        _coordinator.TipChanged += OnTipChanged;
    }

    /// <summary>Peers currently connected.</summary>
    public int PeerCount
    {
        get { lock (_peersGate) return _peers.Count; }
    }

    /// <summary>The connected peers, in peer id order (a snapshot).</summary>
    private RelayPeer[] PeersSnapshot() => _ordered;

    /// <summary>The relay record of this connection of the peer (null once it disconnected or was replaced).</summary>
    private RelayPeer? RelayOf(IPeer peer)
    {
        lock (_peersGate)
            return _byConnection.GetValueOrDefault(peer);
    }

    /// <summary>
    /// True when the peer is known to have <paramref name="header"/>'s block: the highest block it is known to have is
    /// that block or a descendant, both on our active chain. A hash we do not have on our chain proves nothing.
    /// </summary>
    private bool PeerHas(RelayPeer relay, BlockHeader header)
    {
        var (hash, height) = relay.Known;
        if (height < header.Height)
            return false;
        var state = _chain.State;
        return state.GetHashAtHeight(height) == hash && state.GetHashAtHeight(header.Height) == header.Hash;
    }

    /// <inheritdoc />
    public void OnPeerConnected(IPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_peersGate)
        {
            if (_peers.Remove(peer.PeerId, out var replaced))
                _byConnection.Remove(replaced.Peer);
            var relay = new RelayPeer(peer);
            _peers[peer.PeerId] = relay;
            _byConnection[peer] = relay;
            _ordered = [.. _peers.Values];
        }
        _coordinator.OnPeerConnected(peer);
    }

    /// <inheritdoc />
    public void OnPeerDisconnected(IPeer peer, string reason)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_peersGate)
        {
            if (_peers.TryGetValue(peer.PeerId, out var current) && ReferenceEquals(current.Peer, peer))
            {
                _peers.Remove(peer.PeerId);
                _byConnection.Remove(peer);
                _ordered = [.. _peers.Values];
            }
        }
        _coordinator.OnPeerDisconnected(peer, reason);
    }

    /// <inheritdoc />
    public async ValueTask OnMessageAsync(IPeer peer, NetworkMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(message);
        switch (message)
        {
            case GetHeadersMessage request:
                await peer.SendAsync(ServeHeaders(request), cancellationToken);
                break;
            case GetBlocksMessage request:
                await peer.SendAsync(ServeBlocks(request), cancellationToken);
                break;
            case HeadersMessage headers:
                await ReceiveHeadersAsync(peer, headers, cancellationToken);
                break;
            case BlocksMessage blocks:
                await ReceiveBlocksAsync(peer, blocks, cancellationToken);
                break;
            case BlockAnnouncementMessage announcement:
                if (announcement.Height > long.MaxValue)
                {
                    _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage, $"announced height {announcement.Height} is out of range");
                    break;
                }
                RelayOf(peer)?.Knows(announcement.Hash, (long)announcement.Height, _chain.State);
                await _coordinator.OnBlockAnnouncedAsync(peer, announcement.Hash, (long)announcement.Height, cancellationToken);
                break;
            case HeaderAnnouncementMessage announcement:
                await ReceiveHeaderAnnouncementAsync(peer, announcement, cancellationToken);
                break;
            default:
                _logger.LogDebug("Chain sync ignores {Type} from peer {PeerId}", message.Type, peer.PeerId);
                break;
        }
    }

    /// <summary>
    /// Announces <paramref name="block"/> (produced or accepted by this node) to every connected peer.
    /// Returns the number of peers it was queued for.
    /// </summary>
    public async ValueTask<int> AnnounceAsync(Block block, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        return await AnnounceHeaderAsync(block.Header, cancellationToken);
    }

    /// <summary>The headers after the locator's fork point on our active chain, at most the asked and the configured count.</summary>
    public HeadersMessage ServeHeaders(GetHeadersMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int max = (int)Math.Min(request.MaxCount, (uint)_options.MaxHeadersPerReply);
        var state = _chain.State;
        var forkPoint = state.FindForkPoint(request.Locator);
        var headers = state.GetHeadersAfter(forkPoint, max);
        var encoded = new List<ReadOnlyMemory<byte>>(headers.Count);
        foreach (var header in headers)
        {
            encoded.Add(BlockCodec.EncodeHeader(header));
            if (!request.StopHash.IsZero && header.Hash == request.StopHash)
                break;
        }
        return new HeadersMessage(encoded);
    }

    /// <summary>
    /// The requested blocks we have (any branch), in the order asked, skipping unknown ones, bounded by count and bytes.
    /// </summary>
    public BlocksMessage ServeBlocks(GetBlocksMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var encoded = _chain.GetEncodedBlocks(request.Hashes, _options.MaxBlocksPerReply, _options.MaxBlockBytesPerReply);
        var blocks = new List<ReadOnlyMemory<byte>>(encoded.Count);
        foreach (var block in encoded)
            blocks.Add(block);
        return new BlocksMessage(blocks);
    }

    private async ValueTask ReceiveHeadersAsync(IPeer peer, HeadersMessage message, CancellationToken cancellationToken)
    {
        var parameters = _chain.Parameters;
        var headers = new List<BlockHeader>(message.Headers.Count);
        string? decodeError = null;
        for (int i = 0; i < message.Headers.Count && decodeError is null; i++)
        {
            if (BlockCodec.TryDecodeHeader(message.Headers[i].Span, out var header, out var error))
                headers.Add(header);
            else
                decodeError = $"header {i} does not decode: {error}";
        }
        // Signatures of the whole message on every core first (into the chain's cache); the checks below, in order,
        // then find them there. The first problem in message order is still the one reported.
        if (_options.VerifyHeaderSignatures)
            _chain.Verifier.VerifyHeaders(headers);
        var links = new List<BlockLink>(headers.Count);
        foreach (var header in headers)
        {
            if (CheckHeader(parameters, header) is { } problem)
            {
                var kind = problem.Forged ? ViolationKind.ForgedSignature : ViolationKind.InvalidBlock;
                _coordinator.ReportMisbehaviour(peer, kind, $"header {header}: {problem.Reason}");
                return;
            }
            links.Add(new BlockLink(header.Height, header.Hash, header.PreviousHash));
        }
        if (decodeError is not null)
        {
            _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage, decodeError);
            return;
        }
        if (headers.Count > 0)
            RelayOf(peer)?.Knows(headers[^1].Hash, headers[^1].Height, _chain.State); // signed, checked, and served from its chain
        await _coordinator.OnHeadersReceivedAsync(peer, links, cancellationToken);
    }

    /// <summary>
    /// A block announced with its header (protocol version 3). A block already on our chain needs no checks (the peer
    /// has it, and we have nothing to fetch). Otherwise the header must decode to the announced hash and height and pass
    /// the checks of every header (network, schedule, producer, signature) before sync sees it; a header that fails
    /// is reported and dropped whole.
    /// </summary>
    private async ValueTask ReceiveHeaderAnnouncementAsync(IPeer peer, HeaderAnnouncementMessage announcement, CancellationToken cancellationToken)
    {
        if (announcement.Height > long.MaxValue)
        {
            _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage, $"announced height {announcement.Height} is out of range");
            return;
        }
        long height = (long)announcement.Height;
        if (_chain.State.IsOnActiveChain(announcement.Hash))
        {
            RelayOf(peer)?.Knows(announcement.Hash, height, _chain.State);
            await _coordinator.OnBlockAnnouncedAsync(peer, announcement.Hash, height, cancellationToken);
            return;
        }
        if (!BlockCodec.TryDecodeHeader(announcement.Header.Span, out var header, out var error))
        {
            _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage, $"announced header does not decode: {error}");
            return;
        }
        if (header.Hash != announcement.Hash || header.Height != height)
        {
            _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage,
                $"announced block {announcement.Hash} at height {height} but its header is {header.Hash} at height {header.Height}");
            return;
        }
        if (CheckHeader(_chain.Parameters, header) is { } problem)
        {
            var kind = problem.Forged ? ViolationKind.ForgedSignature : ViolationKind.InvalidBlock;
            _coordinator.ReportMisbehaviour(peer, kind, $"announced header {header}: {problem.Reason}");
            return;
        }
        RelayOf(peer)?.Knows(header.Hash, header.Height, _chain.State);
        await _coordinator.OnHeaderAnnouncedAsync(peer, new BlockLink(header.Height, header.Hash, header.PreviousHash), cancellationToken);
    }

    private (bool Forged, string Reason)? CheckHeader(ChainParameters parameters, BlockHeader header)
    {
        if (header.NetworkMagic != parameters.NetworkMagic)
            return (false, $"network magic 0x{header.NetworkMagic:x8} is not {parameters.NetworkName}'s");
        if (header.Height <= 0)
            return (false, "a header at height 0 or below is not sent in sync");
        var schedule = parameters.Schedule;
        if (!schedule.TryGetSlotTimestamp(header.Slot, out long timestamp) || timestamp != header.Timestamp)
            return (false, $"timestamp {header.Timestamp} is not the start of slot {header.Slot}");
        var producer = schedule.ProducerOf(header.Slot);
        if (header.Producer != producer)
            return (false, $"slot {header.Slot} belongs to {producer.ToShortString()}, not {header.Producer.ToShortString()}");
        if (_options.VerifyHeaderSignatures && !_chain.State.SignatureCache.Verify(header, header.Producer))
            return (true, "the producer signature does not verify");
        return null;
    }

    private async ValueTask ReceiveBlocksAsync(IPeer peer, BlocksMessage message, CancellationToken cancellationToken)
    {
        var limits = _chain.Parameters.Limits;
        var blocks = new List<Block>(message.Blocks.Count);
        string? decodeError = null;
        int undecodable = 0;
        for (int i = 0; i < message.Blocks.Count; i++)
        {
            if (!BlockCodec.TryDecode(message.Blocks[i].Span, limits, out var block, out var error))
            {
                decodeError ??= $"block {i} does not decode: {error}";
                undecodable++;
                continue;
            }
            blocks.Add(block);
        }
        // One reply is one violation, as for headers: a reply of blocks our limits refuse (a newer encoding, a block
        // above our size limit) must not reach the ban score by itself, one report per block.
        if (decodeError is not null)
            _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage,
                undecodable == 1 ? decodeError : $"{decodeError} ({undecodable} of {message.Blocks.Count} blocks do not decode)");
        if (blocks.Count > 0 && RelayOf(peer) is { } relay)
        {
            foreach (var block in blocks)
                relay.Knows(block.Hash, block.Header.Height, _chain.State);
        }
        // Always forwarded, even empty: the reply itself tells the coordinator the request was answered.
        await _coordinator.OnBlocksReceivedAsync(peer, blocks, cancellationToken);
    }

    private void OnTipChanged(BlockHeader tip)
    {
        // A node catching up has nothing new to tell: headers prove a longer chain. Announcing every sync round while
        // catching up went above the peers' rate limit for announcements, and the peers it was syncing from banned it
        // (found by the whole-network simulation, scenario h). Only heights headers proved count: one peer claiming a
        // height it cannot back (the current slot, say) must not stop this node relaying blocks to everyone.
        if (_coordinator.ProvenBestHeight > tip.Height)
            return;
        _ = AnnounceInBackgroundAsync(tip);
    }

    private async Task AnnounceInBackgroundAsync(BlockHeader tip)
    {
        try
        {
            await AnnounceHeaderAsync(tip, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Announcing block {Height} failed", tip.Height);
        }
    }

    private async ValueTask<int> AnnounceHeaderAsync(BlockHeader header, CancellationToken cancellationToken)
    {
        BlockAnnouncementMessage? plain = null;
        HeaderAnnouncementMessage? withHeader = null;
        int sent = 0;
        foreach (var relay in PeersSnapshot())
        {
            // Not to a peer known to have the block (it announced or delivered it or a descendant, or we announced it).
            if (PeerHas(relay, header))
                continue;
            relay.Knows(header.Hash, header.Height, _chain.State);
            // With the header to peers that understand it (they ask for the block without a header round trip).
            NetworkMessage message = relay.Peer.ProtocolVersion >= HeaderAnnouncementMessage.MinimumProtocolVersion
                ? withHeader ??= new HeaderAnnouncementMessage(header.Hash, (ulong)header.Height, BlockCodec.EncodeHeader(header))
                : plain ??= new BlockAnnouncementMessage(header.Hash, (ulong)header.Height);
            if (await relay.Peer.SendAsync(message, cancellationToken))
                sent++;
        }
        return sent;
    }
}
