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
    private readonly SortedDictionary<string, IPeer> _peers = new(StringComparer.Ordinal);
    private readonly Lock _peersGate = new();

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
    private IPeer[] PeersSnapshot()
    {
        lock (_peersGate)
            return [.. _peers.Values];
    }

    /// <inheritdoc />
    public void OnPeerConnected(IPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_peersGate)
            _peers[peer.PeerId] = peer;
        _coordinator.OnPeerConnected(peer);
    }

    /// <inheritdoc />
    public void OnPeerDisconnected(IPeer peer, string reason)
    {
        ArgumentNullException.ThrowIfNull(peer);
        lock (_peersGate)
        {
            if (_peers.TryGetValue(peer.PeerId, out var current) && ReferenceEquals(current, peer))
                _peers.Remove(peer.PeerId);
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
                await _coordinator.OnBlockAnnouncedAsync(peer, announcement.Hash, (long)announcement.Height, cancellationToken);
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
        await _coordinator.OnHeadersReceivedAsync(peer, links, cancellationToken);
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
        for (int i = 0; i < message.Blocks.Count; i++)
        {
            if (!BlockCodec.TryDecode(message.Blocks[i].Span, limits, out var block, out var error))
            {
                _coordinator.ReportMisbehaviour(peer, ViolationKind.MalformedMessage, $"block {i} does not decode: {error}");
                continue;
            }
            blocks.Add(block);
        }
        // Always forwarded, even empty: the reply itself tells the coordinator the request was answered.
        await _coordinator.OnBlocksReceivedAsync(peer, blocks, cancellationToken);
    }

    private void OnTipChanged(BlockHeader tip)
    {
        // A node catching up has nothing new to tell: a peer already reports a longer chain. Announcing every sync
        // round while catching up went above the peers' rate limit for announcements, and the peers it was syncing
        // from banned it (found by the whole-network simulation, scenario h).
        foreach (var peer in PeersSnapshot())
        {
            if (peer.BestHeight > tip.Height)
                return;
        }
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
        var message = new BlockAnnouncementMessage(header.Hash, (ulong)header.Height);
        int sent = 0;
        foreach (var peer in PeersSnapshot())
        {
            if (await peer.SendAsync(message, cancellationToken))
                sent++;
        }
        return sent;
    }
}
