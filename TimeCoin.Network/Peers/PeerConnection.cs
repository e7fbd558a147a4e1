using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Liveness;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Peers;

/// <summary>
/// One handshaken connection, inbound or outbound, run by the same code whatever its direction. It owns a read loop
/// (one <see cref="MessageReader"/>), a bounded send queue drained by one writer task (a slow peer fills its queue
/// and then slows its senders; nothing grows without bound: the queue holds at most <c>SendQueueCapacity</c>
/// messages, and the peer's requests for data wait while <see cref="MaxQueuedReplyBytes"/> of replies are queued),
/// and a liveness timer on the injected
/// <see cref="TimeProvider"/> that runs the Core <see cref="PingState"/>. It answers pings itself, reports pongs,
/// checks rate limits per message kind, and passes every other message to its <see cref="ConnectionManager"/>,
/// which serves the connection-level requests and hands the rest to the node's <see cref="IPeerMessageHandler"/>.
/// </summary>
public sealed class PeerConnection : IPeer
{
    private readonly ConnectionManager _owner;
    private readonly ITransportConnection _connection;
    private readonly MessageReader _reader;
    private readonly FrameWriter _writer;
    private readonly PingState _ping;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _checkInterval;
    private LivenessDriver? _liveness;
    private readonly Channel<NetworkMessage> _sendQueue;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _chainGate = new();
    private long _bestHeight;
    private Hash256 _tipHash;
    private string? _closeReason;
    private long _bytesSent;
    private long _messagesSent;
    private long _messagesReceived;
    private DateTimeOffset? _closedAt;
    private int _announceState; // 0: not announced to the handler, 1: connected announced, 2: disconnected announced
    private int _goodbyeStarted;
    private int _headerRequestsOpen; // GetHeaders queued to the peer and not yet answered (each gets exactly one Headers)
    private int _blockRequestsOpen;  // GetBlocks queued to the peer and not yet answered (each gets exactly one Blocks)
    private long _queuedReplyBytes;  // ReplyBytesOf the messages in the send queue (see MaxQueuedReplyBytes)
    private TaskCompletionSource? _replyBytesDrained; // the read loop waits on it while _queuedReplyBytes is at the limit
    private int _masternodeListRequestsOpen; // GetMasternodes queued to the peer and not yet answered (one Masternodes each)
    private volatile bool _closedByGoodbye;
    private readonly TaskCompletionSource _writeLoopEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal PeerConnection(ConnectionManager owner, ITransportConnection connection, MessageReader reader, FrameWriter writer,
        VersionMessage remote, bool isInbound, PingState ping, TimeSpan checkInterval, int sendQueueCapacity, TimeProvider time, ILogger logger)
    {
        _owner = owner;
        _connection = connection;
        _reader = reader;
        _writer = writer;
        _ping = ping;
        _time = time;
        _logger = logger;
        _checkInterval = checkInterval;
        Remote = remote;
        IsInbound = isInbound;
        RemoteEndPoint = connection.RemoteEndPoint;
        ConnectedAt = time.GetUtcNow();
        _bestHeight = Math.Min((long)Math.Min(remote.BestHeight, long.MaxValue), owner.MaxPlausibleHeight());
        _tipHash = remote.TipHash;
        PeerId = remote.NodeId.ToString();
        _sendQueue = Channel.CreateBounded<NetworkMessage>(new BoundedChannelOptions(sendQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        AdvertisedEndPoint = isInbound
            ? remote.ListenAddress is { } listen ? new IPEndPoint(RemoteEndPoint.Address, listen.Port) : null
            : RemoteEndPoint;
    }

    /// <summary>The version message the peer sent in the handshake.</summary>
    public VersionMessage Remote { get; }

    /// <inheritdoc />
    public PublicKey NodeId => Remote.NodeId;

    /// <inheritdoc />
    public string PeerId { get; }

    /// <inheritdoc />
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>
    /// Where the peer accepts connections: the endpoint we dialed (outbound), or the peer's IP with the port it
    /// announced (inbound); null when an inbound peer does not listen.
    /// </summary>
    public IPEndPoint? AdvertisedEndPoint { get; }

    /// <inheritdoc />
    public bool IsInbound { get; }

    /// <inheritdoc />
    public bool IsMasternode => Remote.IsMasternode;

    /// <inheritdoc />
    public uint ProtocolVersion => Remote.ProtocolVersion;

    /// <inheritdoc />
    public PeerPermissions Permissions => Standing.Permissions;

    /// <summary>True when the peer's address is whitelisted now (any source).</summary>
    public bool IsWhitelisted => Standing.IsWhitelisted;

    // What the policy said of this peer's address, kept until the whitelist's version changes: the rate check of every
    // message and gossip item, the liveness driver, metrics and alerts ask far more often than the whitelist changes. Any thread may read or replace
    // it; an answer is labelled with the version it was computed at, so it is never kept past a change.
    private StrongBox<WhitelistStanding>? _standing;

    private WhitelistStanding Standing
    {
        get
        {
            var policy = _owner.Policy;
            var kept = Volatile.Read(ref _standing);
            if (kept is not null && kept.Value.Version == policy.WhitelistVersion)
                return kept.Value;
            var fresh = policy.GetStanding(RemoteEndPoint.Address);
            Volatile.Write(ref _standing, new StrongBox<WhitelistStanding>(fresh));
            return fresh;
        }
    }

    /// <inheritdoc />
    public long BestHeight { get { lock (_chainGate) return _bestHeight; } }

    /// <inheritdoc />
    public Hash256 TipHash { get { lock (_chainGate) return _tipHash; } }

    /// <inheritdoc />
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>True once <see cref="Disconnect"/> was called or the connection ended.</summary>
    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    /// <summary>Why the connection closed, or null while it is open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>True when the remote closed the connection in order (it sent <see cref="GoodbyeMessage"/>).</summary>
    public bool ClosedByGoodbye => _closedByGoodbye;

    /// <summary>When the connection closed, or null while it is open.</summary>
    public DateTimeOffset? ClosedAt => _closedAt;

    /// <summary>Bytes of frames received (headers and payloads).</summary>
    public long BytesReceived => _reader.BytesRead;

    /// <summary>Bytes of frames sent (headers and payloads).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Messages received and decoded.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Messages sent.</summary>
    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>Ping statistics: round trips, missed pongs, last pong.</summary>
    public PingStatistics PingStatistics => _ping.GetStatistics();

    /// <inheritdoc />
    public async ValueTask<bool> SendAsync(NetworkMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IsClosed)
            return false;
        OpenRequest(message, +1); // before the request can go out, so its reply always finds it open
        long replyBytes = ReplyBytesOf(message);
        AddQueuedReplyBytes(replyBytes); // before the write loop can take it, so its subtraction never comes first
        try
        {
            await _sendQueue.Writer.WriteAsync(message, cancellationToken);
            return true;
        }
        catch (ChannelClosedException)
        {
            OpenRequest(message, -1);
            AddQueuedReplyBytes(-replyBytes);
            return false;
        }
        catch (OperationCanceledException)
        {
            OpenRequest(message, -1);
            AddQueuedReplyBytes(-replyBytes);
            throw;
        }
    }

    /// <summary>
    /// Queues <paramref name="message"/> without waiting. Returns false when the send queue is full or the
    /// connection is closed (used for gossip relays and pings, which may be dropped for a peer that does not read).
    /// </summary>
    public bool TrySend(NetworkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (IsClosed)
            return false;
        OpenRequest(message, +1);
        long replyBytes = ReplyBytesOf(message);
        AddQueuedReplyBytes(replyBytes);
        if (_sendQueue.Writer.TryWrite(message))
            return true;
        OpenRequest(message, -1);
        AddQueuedReplyBytes(-replyBytes);
        return false;
    }

    /// <summary>
    /// Bytes of replies queued for one peer at which the connection stops serving that peer's requests for data
    /// (GetBlocks, GetHeaders, GetMasternodes) until the write loop has sent enough of them to be below it again: 4 MiB,
    /// one largest frame. The read loop serves requests one at a time, so waiting there is back-pressure (as Bitcoin
    /// Core stops processing a peer's messages while its send buffer is above a byte limit): a peer that asks and does
    /// not read holds at most this much and one more reply (under 8 MiB) besides what the transport buffers. The
    /// 256-message bound alone let it hold 256 replies of up to 4 MiB (about 1 GiB per connection).
    /// </summary>
    internal const long MaxQueuedReplyBytes = ProtocolLimits.DefaultMaxPayloadLength;

    /// <summary>
    /// What a queued message counts toward <see cref="MaxQueuedReplyBytes"/>: the items of the replies that carry
    /// them (blocks, headers, masternode announcements), whose size a peer chooses by what it asks; 0 for the rest (small
    /// messages, bounded by the queue's message count). Cheap: no encoding, a sum of lengths of at most a few thousand
    /// items, computed again when the message leaves the queue.
    /// </summary>
    private static long ReplyBytesOf(NetworkMessage message) => message switch
    {
        BlocksMessage blocks => SumOfLengths(blocks.Blocks),
        HeadersMessage headers => SumOfLengths(headers.Headers),
        MasternodesMessage masternodes => SumOfLengths(masternodes.Announcements),
        _ => 0,
    };

    private static long SumOfLengths(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        long sum = items.Count; // at least a byte each: an empty item still takes room
        for (int i = 0; i < items.Count; i++)
            sum += items[i].Length;
        return sum;
    }

    private void AddQueuedReplyBytes(long delta)
    {
        if (delta == 0)
            return;
        long queued = Interlocked.Add(ref _queuedReplyBytes, delta);
        if (delta < 0 && queued < MaxQueuedReplyBytes)
            Interlocked.Exchange(ref _replyBytesDrained, null)?.TrySetResult();
    }

    /// <summary>
    /// Waits (on the read loop) until the replies queued for this peer are below <see cref="MaxQueuedReplyBytes"/>;
    /// false when the connection closed meanwhile. Returns at once, without allocating, when they already are.
    /// </summary>
    private async ValueTask<bool> WaitForQueuedRepliesBelowLimitAsync(CancellationToken token)
    {
        while (Interlocked.Read(ref _queuedReplyBytes) >= MaxQueuedReplyBytes)
        {
            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _replyBytesDrained, drained); // a full fence: the check below sees any subtraction before it
            if (Interlocked.Read(ref _queuedReplyBytes) < MaxQueuedReplyBytes)
                break;
            try
            {
                await drained.Task.WaitAsync(token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    private void OpenRequest(NetworkMessage message, int delta)
    {
        if (message is GetHeadersMessage)
            Interlocked.Add(ref _headerRequestsOpen, delta);
        else if (message is GetBlocksMessage)
            Interlocked.Add(ref _blockRequestsOpen, delta);
        else if (message is GetMasternodesMessage)
            Interlocked.Add(ref _masternodeListRequestsOpen, delta);
    }

    /// <summary>Closes one open request of a kind; false when none is open (the reply was not asked for).</summary>
    private static bool TryAnswer(ref int open)
    {
        while (true)
        {
            int current = Volatile.Read(ref open);
            if (current <= 0)
                return false;
            if (Interlocked.CompareExchange(ref open, current - 1, current) == current)
                return true;
        }
    }

    /// <summary>
    /// Tells the liveness state that this peer delivered data we asked for, so it is not dropped for missed pongs
    /// while busy serving us. Called automatically for non-empty replies to our own GetHeaders/GetBlocks (never for
    /// data nobody asked for); the node may call it too.
    /// </summary>
    public void MarkRequestedDataReceived() => _ping.OnRequestedDataReceived();

    /// <inheritdoc />
    public void Disconnect(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
            return;
        _closedAt = _time.GetUtcNow();
        _sendQueue.Writer.TryComplete();
        _writeLoopEnded.TrySetResult();
        _connection.Close();
        try
        {
            _closing.Cancel();
        }
        catch (AggregateException ex)
        {
            _logger.LogError(ex, "Error while closing peer {PeerId}", PeerId);
        }
        _owner.OnPeerClosing(this, reason);
    }

    /// <summary>
    /// Closes in order: queues a <see cref="GoodbyeMessage"/> as the last message, lets the send queue drain (the
    /// peer reads the goodbye and knows this is no failure), then closes with <paramref name="reason"/>. Messages
    /// that arrive meanwhile are dropped. Completes once the queue is drained or the connection closed otherwise;
    /// the caller bounds the wait (a peer that does not read keeps it open until closed).
    /// </summary>
    internal async Task CloseWithGoodbyeAsync(string reason)
    {
        if (IsClosed || Interlocked.Exchange(ref _goodbyeStarted, 1) != 0)
            return;
        _sendQueue.Writer.TryWrite(new GoodbyeMessage(reason));
        _sendQueue.Writer.TryComplete();
        await _writeLoopEnded.Task;
        Disconnect(reason);
    }

    /// <summary>Short form for logs: direction, short node id and endpoint.</summary>
    public override string ToString() => $"{(IsInbound ? "inbound" : "outbound")} {NodeId.ToShortString()}@{RemoteEndPoint}";

    /// <summary>When this connection last asked the peer for its masternode list (owned by the connection manager).</summary>
    internal DateTimeOffset? MasternodeListRequestedAt { get; set; }

    internal void MarkConnectAnnounced() => Interlocked.Exchange(ref _announceState, 1);

    internal bool TryMarkDisconnectAnnounced() => Interlocked.CompareExchange(ref _announceState, 2, 1) == 1;

    internal void UpdateChain(long height, Hash256 tip)
    {
        lock (_chainGate)
        {
            if (height >= _bestHeight)
            {
                _bestHeight = height;
                _tipHash = tip;
            }
        }
    }

    /// <summary>
    /// A height from a pong: claims only ever raise what we hold (the monotonic rule: a late pong never lowers it)
    /// and are bounded by the slot schedule. A claim is shown and used to order peers; decisions wait for headers.
    /// </summary>
    private void RaiseClaimedHeight(ulong claimed)
    {
        long height = Math.Min((long)Math.Min(claimed, long.MaxValue), _owner.MaxPlausibleHeight());
        lock (_chainGate)
        {
            if (height > _bestHeight)
                _bestHeight = height;
        }
    }

    internal async Task RunAsync(CancellationToken stopping)
    {
        // No Task.Run: the write loop's continuations follow the host's scheduler (the thread pool in production, the
        // simulation's single thread in tests); it returns at its first wait for a queued message.
        var writeLoop = WriteLoopAsync();
        using var liveness = new LivenessDriver(_ping, _time, _checkInterval, IsLenient, SendPing,
            decision => Disconnect($"liveness: {decision.Reason}"),
            ex => _logger.LogError(ex, "Liveness check of peer {PeerId} failed", PeerId));
        Volatile.Write(ref _liveness, liveness);
        try
        {
            liveness.Start();
            await ReadLoopAsync(stopping);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Read loop of peer {PeerId} failed", PeerId);
            Disconnect($"internal error: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            liveness.Dispose();
            Disconnect("connection ended");
            await writeLoop;
            _writer.Dispose();
            await _connection.DisposeAsync();
            // _closing is not disposed: Disconnect may still be cancelling it from another thread (it holds no timer).
        }
    }

    /// <summary>
    /// Block download (GetBlocks and its Blocks reply) is flow-controlled, not metered by the policy's default
    /// per-message rate: requests are served one at a time on this read loop, and only while the replies queued for
    /// the peer are below <see cref="MaxQueuedReplyBytes"/>, so a peer gets blocks only as fast as it reads them; replies are bounded by what we asked for: each
    /// GetBlocks we send opens one reply, and a Blocks message without an open request is an
    /// <see cref="ViolationKind.UnrequestedData"/> violation, dropped before anything decodes it. Metering them at the default 20 messages/s capped catch-up at
    /// about 20 x 32 blocks/s per peer and dropped the excess requests, which then stalled. Headers stay metered
    /// (each one costs a signature check, and sync needs only a few such messages per second); an explicit
    /// <see cref="PeerPolicyOptions.RateLimits"/> entry for GetBlocks or Blocks still applies.
    /// </summary>
    private bool IsRateLimited(MessageType type) =>
        type is not (MessageType.GetBlocks or MessageType.Blocks)
        || _owner.Policy.Options.RateLimits.ContainsKey(MessageCodec.TypeName(type));

    /// <summary>
    /// The rate-limit verdict for one message or gossip item of <paramref name="kind"/> from this peer, as
    /// <see cref="PeerPolicy.CheckRate(IPAddress, string, string)"/> gives it; whether the peer is exempt (manually
    /// whitelisted) comes from the connection's kept whitelist standing, asked of the policy again only when its
    /// whitelist has changed.
    /// </summary>
    internal RateLimitVerdict CheckRate(string kind) =>
        _owner.Policy.CheckRate(RemoteEndPoint.Address, PeerId, kind, Standing.IsManuallyWhitelisted);

    private bool IsLenient() => (Permissions & PeerPermissions.LenientLiveness) != 0;

    /// <summary>
    /// A whitelist entry covering the peer's address was added, changed or removed: the liveness driver polls at once
    /// when the peer's class (lenient or not) changed, so the new limits apply now rather than at its next deadline.
    /// </summary>
    internal void OnClassMayHaveChanged() => Volatile.Read(ref _liveness)?.OnClassMayHaveChanged();

    private async Task ReadLoopAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var token = linked.Token;
        while (!IsClosed)
        {
            var read = await _reader.ReadAsync(token);
            switch (read.Status)
            {
                case MessageReadStatus.Message:
                    Interlocked.Increment(ref _messagesReceived);
                    var message = read.Message!;
                    if (Volatile.Read(ref _goodbyeStarted) != 0)
                        continue; // we are closing in order: nothing more is handled
                    if (IsRateLimited(message.Type))
                    {
                        var verdict = CheckRate(MessageCodec.TypeName(message.Type));
                        if (verdict == RateLimitVerdict.DroppedAndScored)
                            _owner.ReportViolation(this, ViolationKind.RateLimitExceeded, $"{message.Type} messages above the rate limit (excess dropped, scored once per window)");
                        if (verdict != RateLimitVerdict.Allowed)
                        {
                            DropReply(message);
                            continue;
                        }
                    }
                    // A request for data waits while the peer has not read what it asked before (back-pressure by bytes).
                    if (message.Type is MessageType.GetBlocks or MessageType.GetHeaders or MessageType.GetMasternodes
                        && !await WaitForQueuedRepliesBelowLimitAsync(token))
                        return;
                    await HandleAsync(message, token);
                    break;
                case MessageReadStatus.Error:
                    // Already recorded by the violation sink, which closes the connection when the policy says so.
                    if (read.Error!.ClosesConnection)
                        Disconnect($"protocol error: {read.Error}");
                    break;
                case MessageReadStatus.Closed:
                    Disconnect(read.CloseReason ?? "connection closed by the remote");
                    return;
                default:
                    Disconnect(stopping.IsCancellationRequested ? "node stopping" : "connection closed");
                    return;
            }
        }
    }

    /// <summary>
    /// A Headers, Blocks or Masternodes reply dropped before handling (above its rate limit) still answers one open
    /// request of its kind: left open, the request would take the next reply of that kind nobody asked for as its answer.
    /// </summary>
    private void DropReply(NetworkMessage message)
    {
        if (message is HeadersMessage)
            TryAnswer(ref _headerRequestsOpen);
        else if (message is BlocksMessage)
            TryAnswer(ref _blockRequestsOpen);
        else if (message is MasternodesMessage)
            TryAnswer(ref _masternodeListRequestsOpen);
    }

    private async ValueTask HandleAsync(NetworkMessage message, CancellationToken token)
    {
        try
        {
            switch (message)
            {
                case PingMessage ping:
                    var (height, _) = _owner.BestChain();
                    await SendAsync(new PongMessage(ping.Nonce, _time.GetUtcNow().ToUnixTimeMilliseconds(), (ulong)Math.Max(0, height)), token);
                    return;
                case PongMessage pong:
                    // Only a pong answering one of our pings (late or not) carries a claim we take; one with a nonce we
                    // never sent is counted by the ping state and otherwise ignored.
                    if (_ping.OnPong(pong.Nonce) != PongResult.Unknown)
                        RaiseClaimedHeight(pong.Height);
                    return;
                case GoodbyeMessage goodbye:
                    _closedByGoodbye = true;
                    Disconnect($"goodbye: {goodbye.Reason}");
                    return;
                case VersionMessage or VerAckMessage:
                    _owner.ReportViolation(this, ViolationKind.MalformedMessage, $"{message.Type} after the handshake");
                    return;
                case HeadersMessage headers:
                    if (!TryAnswer(ref _headerRequestsOpen))
                    {
                        _owner.ReportViolation(this, ViolationKind.UnrequestedData, $"Headers ({headers.Headers.Count}) without a GetHeaders of ours");
                        return; // dropped: never decoded, never queued, not liveness
                    }
                    if (headers.Headers.Count > 0)
                        _ping.OnRequestedDataReceived();
                    break;
                case BlocksMessage blocks:
                    if (!TryAnswer(ref _blockRequestsOpen))
                    {
                        _owner.ReportViolation(this, ViolationKind.UnrequestedData, $"Blocks ({blocks.Blocks.Count}) without a GetBlocks of ours");
                        return;
                    }
                    if (blocks.Blocks.Count > 0)
                        _ping.OnRequestedDataReceived();
                    break;
                case MasternodesMessage list:
                    // Taken only in answer to a GetMasternodes of ours: unasked, each list was up to 2,000 signature
                    // checks, as often as the message rate allowed.
                    if (!TryAnswer(ref _masternodeListRequestsOpen))
                    {
                        _owner.ReportViolation(this, ViolationKind.UnrequestedData, $"Masternodes ({list.Announcements.Count}) without a GetMasternodes of ours");
                        return;
                    }
                    break;
                case BlockAnnouncementMessage announcement:
                    UpdateChain(Math.Min((long)Math.Min(announcement.Height, long.MaxValue), _owner.MaxPlausibleHeight()), announcement.Hash);
                    break;
                case HeaderAnnouncementMessage announcement:
                    UpdateChain(Math.Min((long)Math.Min(announcement.Height, long.MaxValue), _owner.MaxPlausibleHeight()), announcement.Hash);
                    break;
            }
            await _owner.DispatchAsync(this, message, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A bug in a handler must not take the connection (or the node) down.
            _logger.LogError(ex, "Handling {MessageType} from peer {PeerId} failed", message.Type, PeerId);
        }
    }

    /// <summary>A payload writer kept above this size after a large message is dropped (not held per connection).</summary>
    private const int EncoderKeepCapacity = 64 * 1024;

    private async Task WriteLoopAsync()
    {
        var token = _closing.Token;
        // One payload writer for every message of this connection (one write loop, one message at a time; the frame
        // writer copies the payload into the output before the next message is encoded).
        var encoder = new PayloadWriter();
        try
        {
            // The wait takes no token: Disconnect (the only thing that cancels _closing) completes the queue first,
            // which ends the wait just as well, and a wait with a token costs a fresh waiter and a token registration
            // per wake (one per message sent) where a wait without one reuses the channel's single waiter. The check
            // at the top of each round keeps the cancelled token's meaning: queued messages are not sent after it.
            while (true)
            {
                token.ThrowIfCancellationRequested();
                if (!await _sendQueue.Reader.WaitToReadAsync(CancellationToken.None))
                    break;
                while (_sendQueue.Reader.TryRead(out var message))
                {
                    int payloadLength;
                    bool written;
                    long replyBytes = ReplyBytesOf(message);
                    try
                    {
                        // An unencodable message (e.g. an address the codec refuses) is dropped, never fatal.
                        encoder.Reset();
                        MessageCodec.EncodeTo(message, encoder);
                        payloadLength = encoder.WrittenMemory.Length;
                        written = await _writer.WriteAsync(message.Type, encoder.WrittenMemory, token);
                    }
                    catch (ArgumentException ex)
                    {
                        _logger.LogError(ex, "Message {MessageType} to peer {PeerId} cannot be encoded or is too large; dropped", message.Type, PeerId);
                        continue;
                    }
                    finally
                    {
                        if (encoder.Capacity > EncoderKeepCapacity)
                            encoder = new PayloadWriter();
                        AddQueuedReplyBytes(-replyBytes); // sent (in the transport's hands), dropped, or the connection is gone
                    }
                    if (!written)
                    {
                        // The remote side closed. What it sent last (an orderly Goodbye, say) may still be unread:
                        // let the read loop reach it, and close for the send failure only if it has not ended the
                        // connection within a short grace (otherwise a clean shutdown would read as a failure).
                        // Nothing is sent any more: senders fail at once instead of waiting on a full queue.
                        _sendQueue.Writer.TryComplete();
                        _ = DisconnectAfterSendFailureAsync();
                        return;
                    }
                    Interlocked.Add(ref _bytesSent, FrameFormat.HeaderSize + payloadLength);
                    Interlocked.Increment(ref _messagesSent);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            // A bug in the write path must not leave a connection that queues but never sends.
            _logger.LogError(ex, "Write loop of peer {PeerId} failed", PeerId);
            Disconnect($"internal error: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            _writeLoopEnded.TrySetResult();
        }
    }

    /// <summary>How long the read loop gets to reach the end of the input after a send failed (see the write loop).</summary>
    private static readonly TimeSpan SendFailureGrace = TimeSpan.FromSeconds(2);

    private async Task DisconnectAfterSendFailureAsync()
    {
        try
        {
            await Task.Delay(SendFailureGrace, _time, _closing.Token);
        }
        catch (OperationCanceledException)
        {
            return; // closed meanwhile, for the reason the read loop found
        }
        Disconnect("send failed: connection closed");
    }

    private void SendPing(ulong nonce)
    {
        if (IsClosed)
            return;
        var (height, _) = _owner.BestChain();
        // When the queue is full the ping is lost and counts as missed: a peer that does not read is not alive.
        TrySend(new PingMessage(nonce, _time.GetUtcNow().ToUnixTimeMilliseconds(), (ulong)Math.Max(0, height)));
    }
}
