using System.Net;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Encodes messages to payload bytes and decodes payload bytes to messages. All integers are little-endian, list
/// counts are u32 and checked against <see cref="ProtocolLimits"/> (and against the bytes left) before allocation,
/// opaque items are a u32 length and the bytes, strings a u16 length and UTF-8, endpoints 16 address bytes
/// (IPv4 mapped into IPv6) and a u16 port. A payload must be consumed exactly. Decoding never throws.
/// </summary>
internal static class MessageCodec
{
    private const int EndPointSize = 18;
    private const int OpaqueItemMinSize = 4;

    /// <summary>True for the message types this version understands.</summary>
    public static bool IsKnownType(MessageType type) => type is >= MessageType.Version and <= LastKnownType;

    /// <summary>The highest type this version understands (the bound of <see cref="IsKnownType"/> and of the name table).</summary>
    private const MessageType LastKnownType = MessageType.HeaderAnnouncement;

    // The names of the known types, made once: the read loop keys every message's rate limit by its type's name, and
    // Enum.ToString made (allocated) a new string per message.
    private static readonly string[] TypeNames = Enumerable.Range(0, (int)LastKnownType + 1)
        .Select(value => ((MessageType)value).ToString())
        .ToArray();

    /// <summary>The name of <paramref name="type"/> (as <see cref="Enum.ToString()"/>), without a new string for a known type.</summary>
    internal static string TypeName(MessageType type) => (uint)type < (uint)TypeNames.Length ? TypeNames[(int)type] : type.ToString();

    /// <summary>Encodes <paramref name="message"/> to its payload bytes.</summary>
    /// <exception cref="ArgumentException">A list or string is above its bound in <see cref="ProtocolLimits"/>.</exception>
    public static byte[] Encode(NetworkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var w = new PayloadWriter();
        EncodeTo(message, w);
        return w.ToArray();
    }

    /// <summary>
    /// Encodes <paramref name="message"/> into <paramref name="w"/> (appended to what it holds): a connection's write
    /// loop reuses one writer for every message it sends instead of allocating a writer, its buffer and the payload
    /// array per message.
    /// </summary>
    /// <exception cref="ArgumentException">A list or string is above its bound in <see cref="ProtocolLimits"/>.</exception>
    internal static void EncodeTo(NetworkMessage message, PayloadWriter w)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(w);
        switch (message)
        {
            case VersionMessage m:
                w.U32(m.ProtocolVersion);
                w.U32(m.NetworkMagic.Value);
                w.String(m.NetworkName, "network name");
                w.Hash(m.GenesisHash);
                w.Raw(m.NodeId.Bytes);
                w.Bool(m.ListenAddress is not null);
                if (m.ListenAddress is not null)
                    w.EndPoint(m.ListenAddress);
                w.U64(m.BestHeight);
                w.Hash(m.TipHash);
                w.Bool(m.IsMasternode);
                w.U64(m.Nonce);
                w.I64(m.Timestamp);
                w.String(m.UserAgent, "user agent");
                break;
            case VerAckMessage m:
                if (m.Signature.Length != PublicKey.SignatureSize)
                    throw new ArgumentException($"A handshake signature is {PublicKey.SignatureSize} bytes, got {m.Signature.Length}.", nameof(message));
                w.Raw(m.Signature.Span);
                break;
            case PingMessage m:
                w.U64(m.Nonce);
                w.I64(m.Timestamp);
                w.U64(m.Height);
                break;
            case PongMessage m:
                w.U64(m.Nonce);
                w.I64(m.Timestamp);
                w.U64(m.Height);
                break;
            case GetHeadersMessage m:
                w.Count(m.Locator.Count, ProtocolLimits.MaxLocatorHashes, "locator");
                foreach (var hash in m.Locator)
                    w.Hash(hash);
                w.Hash(m.StopHash);
                w.U32(m.MaxCount);
                break;
            case HeadersMessage m:
                WriteOpaqueList(w, m.Headers, ProtocolLimits.MaxHeadersPerMessage, "headers");
                break;
            case GetBlocksMessage m:
                w.Count(m.Hashes.Count, ProtocolLimits.MaxBlocksPerMessage, "block hashes");
                foreach (var hash in m.Hashes)
                    w.Hash(hash);
                break;
            case BlocksMessage m:
                WriteOpaqueList(w, m.Blocks, ProtocolLimits.MaxBlocksPerMessage, "blocks");
                break;
            case BlockAnnouncementMessage m:
                w.Hash(m.Hash);
                w.U64(m.Height);
                break;
            case HeaderAnnouncementMessage m:
                if (m.Header.Length > ProtocolLimits.MaxAnnouncedHeaderBytes)
                    throw new ArgumentException($"An announced header of {m.Header.Length} bytes is above {ProtocolLimits.MaxAnnouncedHeaderBytes}.", nameof(message));
                w.Hash(m.Hash);
                w.U64(m.Height);
                w.Bytes(m.Header.Span);
                break;
            case GetPeersMessage:
            case GetMasternodesMessage:
                break;
            case PeersMessage m:
                w.Count(m.Peers.Count, ProtocolLimits.MaxPeersPerMessage, "peers");
                foreach (var peer in m.Peers)
                {
                    if (peer.Port == 0)
                        throw new ArgumentException($"Peer {peer} has port 0.", nameof(message));
                    w.EndPoint(peer);
                }
                break;
            case MasternodeAnnouncementMessage m:
                w.Bytes(m.Announcement.Span);
                break;
            case HeartbeatMessage m:
                w.Bytes(m.Heartbeat.Span);
                break;
            case MasternodesMessage m:
                WriteOpaqueList(w, m.Announcements, ProtocolLimits.MaxMasternodesPerMessage, "masternode announcements");
                break;
            case GoodbyeMessage m:
                w.String(m.Reason, "goodbye reason");
                break;
            case MasternodeGossipMessage m:
                if (m.Count == 0)
                    throw new ArgumentException("A masternode gossip batch carries at least one item.", nameof(message));
                WriteOpaqueList(w, m.Announcements, ProtocolLimits.MaxGossipAnnouncementsPerBatch, "gossip announcements", ProtocolLimits.MaxGossipItemBytes);
                WriteOpaqueList(w, m.Heartbeats, ProtocolLimits.MaxGossipHeartbeatsPerBatch, "gossip heartbeats", ProtocolLimits.MaxGossipItemBytes);
                break;
            default:
                throw new ArgumentException($"No encoding for {message.GetType().Name}.", nameof(message));
        }
    }

    /// <summary>
    /// Decodes a payload of type <paramref name="type"/>. Anything wrong (short, trailing bytes, a count over its
    /// bound, a bad flag, invalid UTF-8, an unknown type) is an <see cref="ProtocolErrorKind.Undecodable"/> error
    /// that names the field; the connection may keep reading.
    /// </summary>
    public static DecodeResult Decode(MessageType type, ReadOnlySpan<byte> payload) => Decode(type, new PayloadReader(payload), payload.Length);

    /// <summary>
    /// As <see cref="Decode(MessageType, ReadOnlySpan{byte})"/>, for a payload nothing changes afterwards (a received
    /// frame's own array): the items of a <see cref="MasternodeGossipMessage"/> are slices of it, not copies.
    /// </summary>
    public static DecodeResult Decode(MessageType type, ReadOnlyMemory<byte> payload) => Decode(type, new PayloadReader(payload), payload.Length);

    private static DecodeResult Decode(MessageType type, PayloadReader r, int payloadLength)
    {
        NetworkMessage? message = type switch
        {
            MessageType.Version => DecodeVersion(ref r),
            MessageType.VerAck => new VerAckMessage(r.Raw(PublicKey.SignatureSize, "signature").ToArray()),
            MessageType.Ping => new PingMessage(r.U64("nonce"), r.I64("timestamp"), r.U64("height")),
            MessageType.Pong => new PongMessage(r.U64("nonce"), r.I64("timestamp"), r.U64("height")),
            MessageType.GetHeaders => new GetHeadersMessage(ReadHashes(ref r, "locator", ProtocolLimits.MaxLocatorHashes), r.Hash("stop hash"), r.U32("max count")),
            MessageType.Headers => new HeadersMessage(ReadOpaqueList(ref r, "headers", ProtocolLimits.MaxHeadersPerMessage)),
            MessageType.GetBlocks => new GetBlocksMessage(ReadHashes(ref r, "block hashes", ProtocolLimits.MaxBlocksPerMessage)),
            MessageType.Blocks => new BlocksMessage(ReadOpaqueList(ref r, "blocks", ProtocolLimits.MaxBlocksPerMessage)),
            MessageType.BlockAnnouncement => new BlockAnnouncementMessage(r.Hash("block hash"), r.U64("height")),
            MessageType.GetPeers => new GetPeersMessage(),
            MessageType.Peers => new PeersMessage(ReadEndPoints(ref r)),
            MessageType.MasternodeAnnouncement => new MasternodeAnnouncementMessage(r.Bytes("announcement")),
            MessageType.Heartbeat => new HeartbeatMessage(r.Bytes("heartbeat")),
            MessageType.GetMasternodes => new GetMasternodesMessage(),
            MessageType.Masternodes => new MasternodesMessage(ReadOpaqueList(ref r, "masternode announcements", ProtocolLimits.MaxMasternodesPerMessage)),
            MessageType.Goodbye => new GoodbyeMessage(r.String("goodbye reason")),
            MessageType.MasternodeGossip => DecodeGossip(ref r),
            MessageType.HeaderAnnouncement => new HeaderAnnouncementMessage(r.Hash("block hash"), r.U64("height"), r.Bytes("header", ProtocolLimits.MaxAnnouncedHeaderBytes)),
            _ => null,
        };
        if (message is null && !r.Failed)
            r.Fail("unknown message type");
        r.End();
        if (r.Failed)
            return DecodeResult.Failure(new ProtocolError(ProtocolErrorKind.Undecodable,
                $"{type} payload of {payloadLength} bytes: {r.Error}", ClosesConnection: false, IsSevere: false));
        return DecodeResult.Success(message!);
    }

    private static VersionMessage? DecodeVersion(ref PayloadReader r)
    {
        uint version = r.U32("protocol version");
        var magic = new NetworkMagic(r.U32("network magic"));
        string name = r.String("network name");
        var genesis = r.Hash("genesis hash");
        var nodeId = r.Key("node id");
        IPEndPoint? listen = r.Bool("listen flag") ? r.EndPoint("listen address") : null;
        ulong height = r.U64("best height");
        var tip = r.Hash("tip hash");
        bool masternode = r.Bool("masternode flag");
        ulong nonce = r.U64("nonce");
        long timestamp = r.I64("timestamp");
        string agent = r.String("user agent");
        if (r.Failed || nodeId is null)
            return null;
        return new VersionMessage(version, magic, name, genesis, nodeId, listen, height, tip, masternode, nonce, timestamp, agent);
    }

    /// <summary>
    /// Two bounded lists (announcements, then heartbeats); each count is checked against its maximum and the bytes left,
    /// and each item's length against <see cref="ProtocolLimits.MaxGossipItemBytes"/>, before anything is allocated. An
    /// empty batch is an error: an honest node never sends one.
    /// </summary>
    private static MasternodeGossipMessage? DecodeGossip(ref PayloadReader r)
    {
        var announcements = ReadOpaqueList(ref r, "gossip announcements", ProtocolLimits.MaxGossipAnnouncementsPerBatch, ProtocolLimits.MaxGossipItemBytes, slices: true);
        var heartbeats = ReadOpaqueList(ref r, "gossip heartbeats", ProtocolLimits.MaxGossipHeartbeatsPerBatch, ProtocolLimits.MaxGossipItemBytes, slices: true);
        if (r.Failed)
            return null;
        if (announcements.Length + heartbeats.Length == 0)
        {
            r.Fail("a masternode gossip batch carries no item");
            return null;
        }
        return new MasternodeGossipMessage(announcements, heartbeats);
    }

    private static Hash256[] ReadHashes(ref PayloadReader r, string field, int max)
    {
        int count = r.Count(field, max, Hash256.Size);
        var hashes = new Hash256[count];
        for (int i = 0; i < count; i++)
            hashes[i] = r.Hash(field);
        return hashes;
    }

    /// <summary>
    /// A bounded list of length-prefixed items, each at most <paramref name="maxItemBytes"/> (when given): copies, or with <paramref name="slices"/> (gossip items,
    /// read once while the frame is handled: the connection manager copies an item it accepts before keeping or relaying it)
    /// slices of the payload when the reader has its memory. Blocks and headers stay copies, so a block kept
    /// for long does not keep its whole message's payload alive.
    /// </summary>
    private static ReadOnlyMemory<byte>[] ReadOpaqueList(ref PayloadReader r, string field, int max, int maxItemBytes = int.MaxValue, bool slices = false)
    {
        int count = r.Count(field, max, OpaqueItemMinSize);
        var items = new ReadOnlyMemory<byte>[count];
        for (int i = 0; i < count && !r.Failed; i++)
            items[i] = slices ? r.Opaque(field, maxItemBytes) : r.Bytes(field, maxItemBytes);
        return items;
    }

    private static IPEndPoint[] ReadEndPoints(ref PayloadReader r)
    {
        int count = r.Count("peers", ProtocolLimits.MaxPeersPerMessage, EndPointSize);
        var peers = new IPEndPoint[count];
        for (int i = 0; i < count && !r.Failed; i++)
            peers[i] = r.EndPoint("peer")!;
        return peers;
    }

    /// <summary>Bytes an opaque list (<see cref="WriteOpaqueList"/>) takes besides its items: its u32 count.</summary>
    internal const int OpaqueListCountSize = sizeof(uint);

    /// <summary>Bytes one opaque-list item takes besides its own: its u32 length prefix.</summary>
    internal const int OpaqueItemPrefixSize = sizeof(uint);

    /// <summary>The encoded size of <paramref name="items"/> as <see cref="WriteOpaqueList"/> writes them.</summary>
    internal static long OpaqueListSize(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        long size = OpaqueListCountSize;
        foreach (var item in items)
            size += OpaqueItemPrefixSize + item.Length;
        return size;
    }

    private static void WriteOpaqueList(PayloadWriter w, IReadOnlyList<ReadOnlyMemory<byte>> items, int max, string field, int maxItemBytes = int.MaxValue)
    {
        foreach (var item in items)
        {
            if (item.Length > maxItemBytes)
                throw new ArgumentException($"A {field} item is {item.Length} bytes, the maximum is {maxItemBytes}.", nameof(items));
        }
        w.Count(items.Count, max, field);
        foreach (var item in items)
            w.Bytes(item.Span);
    }
}
