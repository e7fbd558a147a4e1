using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Client;

/// <summary>
/// A connection to one node as an ordinary (non-masternode) peer, for tools that watch a node: connect and
/// handshake (network, genesis and signed acknowledgements are checked as between nodes), then ask for the node's
/// best height, the peer addresses and the masternodes it knows, and receive its block announcements.
/// </summary>
/// <remarks>
/// <para>One background loop reads the connection. It answers the node's pings, answers its requests with empty
/// replies (the client has no chain and knows no peers), and hands replies to the one request waiting for them.
/// Requests run one at a time. Everything is bounded: the dial, the handshake and each request have a timeout
/// (<see cref="PeerClientOptions"/>, on its <see cref="TimeProvider"/>); each reply the read loop writes (a pong, an
/// empty answer) must be taken by the node within <see cref="PeerClientOptions.RequestTimeout"/>, or the client closes
/// the connection (a node that stops reading cannot hold the read loop); the goodbye waits at most
/// <see cref="PeerClientOptions.GoodbyeTimeout"/>; frames have the protocol's maximum size, and announcements wait in a
/// queue of <see cref="PeerClientOptions.AnnouncementCapacity"/> that drops the oldest.</para>
/// <para>Pongs are matched to pings by nonce. Peers and masternode lists carry no request id: after a request timed
/// out, a late reply of that kind answers the next request of the same kind (it is still what the node sent).</para>
/// </remarks>
public sealed class PeerClient : IAsyncDisposable
{
    private readonly ITransportConnection _connection;
    private readonly MessageReader _reader;
    private readonly FrameWriter _writer;
    private readonly PeerClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ChainParameters _chain;
    private readonly KeyPair? _ownedKey;
    private readonly SemaphoreSlim _requestGate = new(1, 1);
    private readonly Channel<BlockAnnouncementMessage> _announcements;
    private readonly CancellationTokenSource _closing = new();
    private readonly object _gate = new();
    private readonly Task _readLoop;
    private TaskCompletionSource<NetworkMessage>? _pending;
    private Func<NetworkMessage, bool>? _pendingMatch;
    private string? _closeReason;
    private long _tipHeight;
    private Hash256 _tipHash;
    private int _disposed;

    private PeerClient(ITransportConnection connection, MessageReader reader, FrameWriter writer, VersionMessage remote,
        ChainParameters chain, PeerClientOptions options, TimeProvider time, KeyPair? ownedKey)
    {
        _connection = connection;
        _reader = reader;
        _writer = writer;
        _chain = chain;
        _options = options;
        _time = time;
        _ownedKey = ownedKey;
        Remote = remote;
        RemoteEndPoint = connection.RemoteEndPoint;
        _tipHeight = (long)Math.Min(remote.BestHeight, long.MaxValue);
        _tipHash = remote.TipHash;
        _announcements = Channel.CreateBounded<BlockAnnouncementMessage>(new BoundedChannelOptions(options.AnnouncementCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The version message the node sent in the handshake: its node id, user agent, protocol version,
    /// whether it is a masternode, where it listens, and its best height and tip when the connection opened.</summary>
    public VersionMessage Remote { get; }

    /// <summary>The node's endpoint.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>
    /// The highest tip the node has told us of: from its version message, then from its block announcements. A claim
    /// of the node, not a proved chain.
    /// </summary>
    public (long Height, Hash256 Hash) LatestTip
    {
        get { lock (_gate) return (_tipHeight, _tipHash); }
    }

    /// <summary>The node's block announcements in arrival order (oldest dropped when more than
    /// <see cref="PeerClientOptions.AnnouncementCapacity"/> wait). Completes when the connection closes.</summary>
    public ChannelReader<BlockAnnouncementMessage> Announcements => _announcements.Reader;

    /// <summary>True once the connection closed (by either side).</summary>
    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    /// <summary>Why the connection closed, or null while it is open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Connects to the node at <paramref name="endPoint"/> and runs the handshake.</summary>
    /// <param name="endPoint">The node's P2P endpoint.</param>
    /// <param name="chain">The network the node must be on (name, magic and genesis are checked in the handshake).</param>
    /// <param name="options">Transport, timeouts, queue size, key and clock; defaults (TCP) when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>A connected client; dispose it to close the connection.</returns>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="PeerClientException">The dial was refused or timed out, or the handshake failed
    /// (<see cref="PeerClientException.HandshakeFailure"/> says why).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<PeerClient> ConnectAsync(IPEndPoint endPoint, ChainParameters chain, PeerClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(chain);
        options ??= new PeerClientOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid peer client options: " + string.Join(" ", errors), nameof(options));
        var time = options.Time ?? TimeProvider.System;
        var transport = options.Transport ?? new TcpTransport();

        ITransportConnection connection;
        using (var dialDeadline = new CancellationTokenSource(options.ConnectTimeout, time))
        using (var dialToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, dialDeadline.Token))
        {
            try
            {
                connection = await transport.DialAsync(endPoint, dialToken.Token);
            }
            catch (OperationCanceledException) when (dialDeadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new PeerClientException(endPoint, $"{endPoint} did not accept the connection within {options.ConnectTimeout.TotalSeconds:0.###} s");
            }
            catch (TransportException ex)
            {
                throw new PeerClientException(endPoint, $"cannot connect to {endPoint}: {ex.Message}", innerException: ex);
            }
        }

        var ownedKey = options.NodeKey is null ? KeyPair.Generate() : null;
        var key = options.NodeKey ?? ownedKey!;
        var magic = NetworkMagic.For(chain);
        var reader = new MessageReader(new FrameReader(connection.Input, magic), endPoint.Address, NullViolationSink.Instance);
        var writer = new FrameWriter(connection.Output, magic);
        HandshakeResult handshake;
        try
        {
            var local = new LocalNodeInfo(LocalNodeInfo.CurrentProtocolVersion, LocalNodeInfo.MinimumSupportedProtocolVersion, magic,
                chain.NetworkName, chain.GenesisHash, key.PublicKey, ListenAddress: null, BestHeight: 0, chain.GenesisHash,
                IsMasternode: false, options.UserAgent);
            var driver = new HandshakeDriver(local, key, time, NullViolationSink.Instance, new HandshakeOptions { Timeout = options.HandshakeTimeout });
            handshake = await driver.RunAsync(connection, reader, writer, cancellationToken: cancellationToken);
        }
        catch
        {
            await AbandonAsync(connection, writer, ownedKey);
            throw;
        }
        if (!handshake.IsSuccess)
        {
            await AbandonAsync(connection, writer, ownedKey);
            cancellationToken.ThrowIfCancellationRequested();
            throw new PeerClientException(endPoint, $"handshake with {endPoint} failed: {handshake.Failure}: {handshake.Detail}", handshake.Failure);
        }
        return new PeerClient(connection, reader, writer, handshake.Remote!, chain, options, time, ownedKey);
    }

    private static async ValueTask AbandonAsync(ITransportConnection connection, FrameWriter writer, KeyPair? ownedKey)
    {
        connection.Close();
        writer.Dispose();
        await connection.DisposeAsync();
        ownedKey?.Dispose();
    }

    /// <summary>Asks the node for its best height now (a ping; the node's pong carries its height).</summary>
    /// <exception cref="TimeoutException">No answer within <see cref="PeerClientOptions.RequestTimeout"/>.</exception>
    /// <exception cref="PeerClientException">The connection is closed or closed while waiting.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<long> GetBestHeightAsync(CancellationToken cancellationToken = default)
    {
        ulong nonce = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var ping = new PingMessage(nonce, _time.GetUtcNow().ToUnixTimeMilliseconds(), 0);
        var pong = (PongMessage)await RequestAsync(ping, m => m is PongMessage p && p.Nonce == nonce, cancellationToken);
        return (long)Math.Min(pong.Height, long.MaxValue);
    }

    /// <summary>Asks the node for the peer addresses it would recommend (at most <see cref="ProtocolLimits.MaxPeersPerMessage"/>).</summary>
    /// <inheritdoc cref="GetBestHeightAsync" path="/exception"/>
    public async Task<IReadOnlyList<IPEndPoint>> GetPeersAsync(CancellationToken cancellationToken = default)
    {
        var reply = (PeersMessage)await RequestAsync(new GetPeersMessage(), m => m is PeersMessage, cancellationToken);
        return reply.Peers;
    }

    /// <summary>
    /// Asks the node for the masternode announcements it holds. Only announcements that decode, carry a valid
    /// signature of their masternode key and name this client's network are returned; the rest are dropped.
    /// </summary>
    /// <inheritdoc cref="GetBestHeightAsync" path="/exception"/>
    public async Task<IReadOnlyList<MasternodeAnnouncement>> GetMasternodesAsync(CancellationToken cancellationToken = default)
    {
        var reply = (MasternodesMessage)await RequestAsync(new GetMasternodesMessage(), m => m is MasternodesMessage, cancellationToken);
        var verified = new List<MasternodeAnnouncement>(reply.Announcements.Count);
        foreach (var bytes in reply.Announcements)
        {
            if (MasternodeAnnouncement.TryDecode(bytes.Span, out var announcement, out _)
                && string.Equals(announcement.Network, _chain.NetworkName, StringComparison.Ordinal)
                && announcement.VerifySignature())
                verified.Add(announcement);
        }
        return verified;
    }

    private async Task<NetworkMessage> RequestAsync(NetworkMessage request, Func<NetworkMessage, bool> isReply, CancellationToken cancellationToken)
    {
        await _requestGate.WaitAsync(cancellationToken);
        try
        {
            var reply = new TaskCompletionSource<NetworkMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_closeReason is { } reason)
                    throw Closed(reason);
                _pending = reply;
                _pendingMatch = isReply;
            }
            using var deadline = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, _closing.Token);
            try
            {
                if (!await _writer.WriteAsync(request, linked.Token))
                    Close("the connection broke while sending");
                return await reply.Task.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (_closing.IsCancellationRequested)
                    throw Closed(CloseReason ?? "closed");
                if (_writer.IsClosed)
                    Close("a send timed out"); // a frame may be half written: the stream is no longer usable
                throw new TimeoutException($"{RemoteEndPoint} did not answer {request.Type} within {_options.RequestTimeout.TotalSeconds:0.###} s");
            }
        }
        finally
        {
            lock (_gate)
            {
                _pending = null;
                _pendingMatch = null;
            }
            _requestGate.Release();
        }
    }

    private PeerClientException Closed(string reason) => new(RemoteEndPoint, $"the connection to {RemoteEndPoint} is closed: {reason}");

    private async Task ReadLoopAsync()
    {
        var token = _closing.Token;
        try
        {
            while (true)
            {
                var read = await _reader.ReadAsync(token);
                switch (read.Status)
                {
                    case MessageReadStatus.Message:
                        await HandleAsync(read.Message!, token);
                        break;
                    case MessageReadStatus.Error when !read.MustClose:
                        break; // one undecodable message: skipped, the stream is still in sync
                    case MessageReadStatus.Error:
                        Close($"protocol error: {read.Error}");
                        return;
                    case MessageReadStatus.Closed:
                        Close(read.CloseReason ?? "closed by the node");
                        return;
                    default:
                        return; // cancelled: we are closing
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Close($"read loop failed: {ex.Message}");
        }
    }

    private async ValueTask HandleAsync(NetworkMessage message, CancellationToken token)
    {
        switch (message)
        {
            case PingMessage ping:
                await ReplyAsync(new PongMessage(ping.Nonce, _time.GetUtcNow().ToUnixTimeMilliseconds(), 0), token);
                return;
            case GoodbyeMessage goodbye:
                Close($"goodbye: {goodbye.Reason}");
                return;
            case BlockAnnouncementMessage announcement:
                lock (_gate)
                {
                    long height = (long)Math.Min(announcement.Height, long.MaxValue);
                    if (height > _tipHeight)
                        (_tipHeight, _tipHash) = (height, announcement.Hash);
                }
                _announcements.Writer.TryWrite(announcement);
                return;
            case HeaderAnnouncementMessage announcement: // protocol version 3: the same announcement, with the header
                await HandleAsync(new BlockAnnouncementMessage(announcement.Hash, announcement.Height), token);
                return;
            // The node's requests get honest empty answers: no chain past genesis, no addresses, no masternodes.
            case GetPeersMessage:
                await ReplyAsync(new PeersMessage([]), token);
                return;
            case GetMasternodesMessage:
                await ReplyAsync(new MasternodesMessage([]), token);
                return;
            case GetHeadersMessage:
                await ReplyAsync(new HeadersMessage([]), token);
                return;
            case GetBlocksMessage:
                await ReplyAsync(new BlocksMessage([]), token);
                return;
        }
        lock (_gate)
        {
            if (_pendingMatch is { } isReply && isReply(message))
            {
                _pending!.TrySetResult(message);
                _pending = null;
                _pendingMatch = null;
            }
        }
    }

    /// <summary>
    /// Writes a reply from the read loop within <see cref="PeerClientOptions.RequestTimeout"/>: a node that stops reading
    /// (its receive buffer full) closes the connection instead of holding the read loop, and with it every later
    /// request, in the write forever.
    /// </summary>
    private async ValueTask ReplyAsync(NetworkMessage reply, CancellationToken closing)
    {
        using var deadline = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(closing, deadline.Token);
        try
        {
            if (!await _writer.WriteAsync(reply, linked.Token))
                Close($"the connection broke while sending a {reply.Type}");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !closing.IsCancellationRequested)
        {
            // A frame may be half written: the stream is no longer usable.
            Close($"the node did not read a {reply.Type} within {_options.RequestTimeout.TotalSeconds:0.###} s");
        }
    }

    private void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
            return;
        _closing.Cancel();
        _connection.Close();
        _announcements.Writer.TryComplete();
        lock (_gate)
            _pending?.TrySetException(Closed(reason));
    }

    /// <summary>
    /// Closes the connection in order: sends a goodbye (waiting at most <see cref="PeerClientOptions.GoodbyeTimeout"/>),
    /// then closes. Does nothing when already closed.
    /// </summary>
    public async Task CloseAsync(string reason = "client closing")
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (!IsClosed)
        {
            using var deadline = new CancellationTokenSource(_options.GoodbyeTimeout, _time);
            try
            {
                await _writer.WriteAsync(new GoodbyeMessage(reason), deadline.Token);
            }
            catch (OperationCanceledException)
            {
            }
            Close(reason);
        }
        await _readLoop;
    }

    /// <summary>Closes the connection (<see cref="CloseAsync"/>) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await CloseAsync();
        _writer.Dispose();
        await _connection.DisposeAsync();
        _ownedKey?.Dispose();
        // _closing and _requestGate are not disposed: a request racing with DisposeAsync may still use them, and
        // neither holds anything but memory (no timer, no wait handle).
    }
}
