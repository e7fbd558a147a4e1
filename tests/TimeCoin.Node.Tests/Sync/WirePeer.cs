using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Peers;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Node.Tests.Sync;

/// <summary>
/// One end of an in-process link between two test nodes: the <see cref="IPeer"/> that <c>Local</c> holds for
/// <c>Remote</c>. <see cref="SendAsync"/> encodes the message with the real codec and queues it; a pump delivers it to
/// the remote node's handler asynchronously and in order, as a connection would. Announcements update the remote's
/// view of us (as the connection layer does with the tip it learns). Switches: latency, loss, partition, tampering.
/// </summary>
public sealed class WirePeer : IPeer
{
    private readonly Channel<(MessageType Type, byte[] Payload)> _outbox = Channel.CreateUnbounded<(MessageType, byte[])>();
    private readonly CancellationTokenSource _closed = new();
    private readonly Random _loss;
    private Task _pump = Task.CompletedTask;
    private long _bestHeight;
    private Hash256 _tipHash;

    internal WirePeer(TestNode local, TestNode remote, int seed)
    {
        Local = local;
        Remote = remote;
        _loss = new Random(seed);
        NodeId = remote.NodeId;
        PeerId = remote.NodeId.ToString();
        RemoteEndPoint = new IPEndPoint(remote.Address, 24100);
        _bestHeight = remote.Store.State.Height;
        _tipHash = remote.Store.State.TipHash;
        ConnectedAt = DateTimeOffset.UnixEpoch;
    }

    public TestNode Local { get; }

    public TestNode Remote { get; }

    /// <summary>The remote's end of this link (the IPeer the remote holds for <see cref="Local"/>).</summary>
    public WirePeer Counterpart { get; private set; } = null!;

    public PublicKey NodeId { get; }

    public string PeerId { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public bool IsInbound { get; init; }

    public bool IsMasternode => true;

    /// <summary>The protocol version the remote "said" in its handshake (what this side may send it).</summary>
    public uint ProtocolVersion { get; set; } = HeaderAnnouncementMessage.MinimumProtocolVersion;

    public PeerPermissions Permissions { get; set; } = PeerPermissions.None;

    public long BestHeight => Interlocked.Read(ref _bestHeight);

    public Hash256 TipHash
    {
        get { lock (_outbox) return _tipHash; }
    }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Extra delay before each message is delivered.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Share of messages silently dropped (0..1), from a seeded random source.</summary>
    public double LossRate { get; set; }

    /// <summary>While true every message is dropped (the link is cut without either side noticing).</summary>
    public bool Partitioned { get; set; }

    /// <summary>Rewrites messages this side sends (a lying peer).</summary>
    public Func<NetworkMessage, NetworkMessage>? Tamper { get; set; }

    /// <summary>Messages sent from <see cref="Local"/> to <see cref="Remote"/>, by type.</summary>
    public ConcurrentDictionary<MessageType, int> Sent { get; } = new();

    /// <summary>Blocks <see cref="Local"/> served to <see cref="Remote"/>.</summary>
    public int BlocksServed => _blocksServed;

    private int _blocksServed;

    public bool IsClosed => _closed.IsCancellationRequested;

    internal static (WirePeer AtA, WirePeer AtB) Create(TestNode a, TestNode b, int seed)
    {
        var atA = new WirePeer(a, b, seed) { IsInbound = false };
        var atB = new WirePeer(b, a, seed + 1) { IsInbound = true };
        atA.Counterpart = atB;
        atB.Counterpart = atA;
        atA._pump = Task.Run(atA.PumpAsync);
        atB._pump = Task.Run(atB.PumpAsync);
        return (atA, atB);
    }

    public ValueTask<bool> SendAsync(NetworkMessage message, CancellationToken cancellationToken = default)
    {
        if (IsClosed)
            return ValueTask.FromResult(false);
        if (Tamper is { } tamper)
            message = tamper(message);
        var payload = MessageCodec.Encode(message);
        if (payload.Length > FrameFormat.DefaultMaxPayloadLength)
            throw new InvalidOperationException($"{message.Type} payload of {payload.Length} bytes is over the frame maximum");
        Sent.AddOrUpdate(message.Type, 1, (_, n) => n + 1);
        if (message is BlocksMessage blocks)
            Interlocked.Add(ref _blocksServed, blocks.Blocks.Count);
        bool dropped;
        lock (_loss)
            dropped = Partitioned || (LossRate > 0 && _loss.NextDouble() < LossRate);
        if (!dropped)
            _outbox.Writer.TryWrite((message.Type, payload));
        return ValueTask.FromResult(true);
    }

    public void Disconnect(string reason) => Close(reason);

    internal void Close(string reason)
    {
        if (IsClosed)
            return;
        _closed.Cancel();
        _outbox.Writer.TryComplete();
        Local.Service.OnPeerDisconnected(this, reason);
        Counterpart.Close(reason);
    }

    internal Task Completion => _pump;

    private void Report(Hash256 hash, long height)
    {
        lock (_outbox)
        {
            _tipHash = hash;
            Interlocked.Exchange(ref _bestHeight, height);
        }
    }

    private async Task PumpAsync()
    {
        var token = _closed.Token;
        try
        {
            await foreach (var (type, payload) in _outbox.Reader.ReadAllAsync(token))
            {
                if (Latency > TimeSpan.Zero)
                    await Task.Delay(Latency, token);
                var decoded = MessageCodec.Decode(type, payload);
                if (!decoded.IsSuccess)
                    throw new InvalidOperationException($"{type} did not decode: {decoded.Error}");
                if (decoded.Message is BlockAnnouncementMessage announcement)
                    Counterpart.Report(announcement.Hash, (long)announcement.Height);
                else if (decoded.Message is HeaderAnnouncementMessage withHeader)
                    Counterpart.Report(withHeader.Hash, (long)withHeader.Height);
                await Remote.Service.OnMessageAsync(Counterpart, decoded.Message!, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }
}
