using System.Buffers.Binary;
using System.Net;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

public class MessageCodecTests
{
    private static readonly KeyPair Key = KeyPair.FromPrivateKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    internal static readonly NetworkMessage[] Samples =
    [
        TestData.NodeInfo(Key).ToVersionMessage(0x1122334455667788, 1_700_000_000),
        TestData.NodeInfo(Key) with { ListenAddress = null, IsMasternode = false, UserAgent = "ünïcode agent" } is var n
            ? n.ToVersionMessage(7, -1) : null!,
        new VerAckMessage(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()),
        new PingMessage(ulong.MaxValue, 1_700_000_000_123, 1919),
        new PongMessage(1, long.MinValue, 0),
        new GetHeadersMessage(Enumerable.Range(0, ProtocolLimits.MaxLocatorHashes).Select(TestData.HashOf).ToArray(), TestData.HashOf(-1), 2000),
        new GetHeadersMessage([], Hash256.Zero, 0),
        new HeadersMessage([new byte[] { 1, 2, 3 }, Array.Empty<byte>(), new byte[200]]),
        new GetBlocksMessage([TestData.HashOf(1), TestData.HashOf(2)]),
        new BlocksMessage([new byte[1000], new byte[] { 9 }]),
        new BlockAnnouncementMessage(TestData.HashOf(4805), 4805),
        new GetPeersMessage(),
        new PeersMessage([new IPEndPoint(IPAddress.Parse("10.0.0.1"), 24100), new IPEndPoint(IPAddress.Parse("2001:db8::7"), 24101)]),
        new MasternodeAnnouncementMessage(new byte[] { 5, 4, 3 }),
        new HeartbeatMessage(new byte[130]),
        new GetMasternodesMessage(),
        new MasternodesMessage([new byte[] { 1 }, new byte[] { 2, 2 }]),
        new GoodbyeMessage("node stopping"),
        new MasternodeGossipMessage([new byte[] { 1, 2 }], [new byte[130], new byte[] { 3 }]),
        new MasternodeGossipMessage([], [new byte[ProtocolLimits.MaxGossipItemBytes]]),
        new HeaderAnnouncementMessage(TestData.HashOf(4806), 4806, Enumerable.Range(0, 192).Select(i => (byte)i).ToArray()),
    ];

    public static TheoryData<NetworkMessage> AllMessages() => new(Samples);

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Decode_EncodedMessage_ReturnsEquivalentMessage(NetworkMessage message)
    {
        var payload = MessageCodec.Encode(message);

        var decoded = MessageCodec.Decode(message.Type, payload);

        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        Assert.Equal(message.GetType(), decoded.Message.GetType());
        Assert.Equal(payload, MessageCodec.Encode(decoded.Message));
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Decode_FromThePayloadsMemory_ReturnsTheSameMessageAsFromItsBytes(NetworkMessage message)
    {
        var payload = MessageCodec.Encode(message);

        var decoded = MessageCodec.Decode(message.Type, (ReadOnlyMemory<byte>)payload);

        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        Assert.Equal(message.GetType(), decoded.Message.GetType());
        Assert.Equal(payload, MessageCodec.Encode(decoded.Message));
    }

    [Fact]
    public void Decode_GossipFromThePayloadsMemory_ItemsAreSlicesOfThePayloadNotCopies()
    {
        var payload = MessageCodec.Encode(new MasternodeGossipMessage([new byte[] { 1, 2 }], [new byte[] { 7, 8, 9 }, new byte[130]]));

        var batch = (MasternodeGossipMessage)MessageCodec.Decode(MessageType.MasternodeGossip, (ReadOnlyMemory<byte>)payload).Message!;
        var fromBytes = (MasternodeGossipMessage)MessageCodec.Decode(MessageType.MasternodeGossip, payload.AsSpan()).Message!;

        foreach (var item in batch.Announcements.Concat(batch.Heartbeats))
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(item, out var segment));
            Assert.Same(payload, segment.Array);
        }
        Assert.Equal(new byte[] { 7, 8, 9 }, batch.Heartbeats[0].ToArray());
        Assert.All(fromBytes.Heartbeats, item =>
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(item, out var segment) && !ReferenceEquals(payload, segment.Array)));
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Decode_EveryTruncationOfAPayload_FailsAlikeFromItsMemoryAndFromItsBytes(NetworkMessage message)
    {
        var payload = MessageCodec.Encode(message);
        for (int length = 0; length < payload.Length; length++)
        {
            var fromBytes = MessageCodec.Decode(message.Type, payload.AsSpan(0, length));
            var fromMemory = MessageCodec.Decode(message.Type, payload.AsMemory(0, length));
            Assert.Equal(fromBytes.IsSuccess, fromMemory.IsSuccess);
            Assert.Equal(fromBytes.Error?.ToString(), fromMemory.Error?.ToString());
        }
    }

    [Fact]
    public void Decode_OpaqueItemCutInItsLength_NamesTheLengthField()
    {
        var decoded = MessageCodec.Decode(MessageType.Heartbeat, new byte[] { 1, 0 });

        Assert.False(decoded.IsSuccess);
        Assert.Contains("heartbeat length needs 4 bytes but only 2 remain", decoded.Error!.ToString());
    }

    [Fact]
    public void AllMessages_CoverEveryKnownType()
    {
        var covered = Samples.Select(m => m.Type).ToHashSet();

        var known = Enum.GetValues<MessageType>().Where(MessageCodec.IsKnownType);

        Assert.All(known, type => Assert.Contains(type, covered));
    }

    [Fact]
    public void Decode_Version_KeepsEveryField()
    {
        var sent = TestData.NodeInfo(Key).ToVersionMessage(99, 1_700_000_000);

        var received = (VersionMessage)MessageCodec.Decode(MessageType.Version, MessageCodec.Encode(sent)).Message!;

        Assert.Equal(sent, received);
    }

    [Fact]
    public void Decode_PeersWithIPv4_ReturnsIPv4NotMapped()
    {
        var payload = MessageCodec.Encode(new PeersMessage([new IPEndPoint(IPAddress.Parse("192.168.1.2"), 24100)]));

        var peers = ((PeersMessage)MessageCodec.Decode(MessageType.Peers, payload).Message!).Peers;

        Assert.Equal("192.168.1.2:24100", Assert.Single(peers).ToString());
    }

    [Fact]
    public void Decode_TruncatedPayload_ReturnsUndecodableNamingTheField()
    {
        var payload = MessageCodec.Encode(new PingMessage(1, 2, 3));

        var decoded = MessageCodec.Decode(MessageType.Ping, payload.AsSpan(0, 20));

        Assert.False(decoded.IsSuccess);
        Assert.Equal(ProtocolErrorKind.Undecodable, decoded.Error.Kind);
        Assert.Contains("height", decoded.Error.Detail);
        Assert.False(decoded.Error.ClosesConnection);
    }

    [Fact]
    public void Decode_TrailingBytes_ReturnsUndecodable()
    {
        var payload = MessageCodec.Encode(new BlockAnnouncementMessage(TestData.HashOf(1), 1)).Append((byte)0).ToArray();

        var decoded = MessageCodec.Decode(MessageType.BlockAnnouncement, payload);

        Assert.Contains("trailing", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_CountAboveLimit_ReturnsUndecodableWithoutAllocating()
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, uint.MaxValue);

        var decoded = MessageCodec.Decode(MessageType.Headers, payload);

        Assert.Contains("exceeds the maximum", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_CountLargerThanRemainingBytes_ReturnsUndecodable()
    {
        var payload = new byte[4 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, 100);

        var decoded = MessageCodec.Decode(MessageType.GetBlocks, payload);

        Assert.Contains("only 32 remain", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_OpaqueItemLongerThanPayload_ReturnsUndecodable()
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, 0x7FFFFFFF);

        var decoded = MessageCodec.Decode(MessageType.Heartbeat, payload);

        Assert.Contains("claims 2147483647 bytes", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_VersionWithBadFlagByte_ReturnsUndecodable()
    {
        var payload = MessageCodec.Encode(TestData.NodeInfo(Key) with { ListenAddress = null } is var info ? info.ToVersionMessage(1, 1) : null!);
        int flagOffset = 4 + 4 + 2 + "devnet".Length + 32 + 32;
        payload[flagOffset] = 7;

        var decoded = MessageCodec.Decode(MessageType.Version, payload);

        Assert.Contains("listen flag is 7", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_VersionWithInvalidUtf8_ReturnsUndecodable()
    {
        var payload = MessageCodec.Encode(TestData.NodeInfo(Key).ToVersionMessage(1, 1));
        payload[4 + 4 + 2] = 0xFF;

        var decoded = MessageCodec.Decode(MessageType.Version, payload);

        Assert.Contains("not valid UTF-8", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_PeerWithPortZero_ReturnsUndecodable()
    {
        var payload = new byte[4 + 18];
        payload[0] = 1;

        var decoded = MessageCodec.Decode(MessageType.Peers, payload);

        Assert.Contains("port 0", decoded.Error!.Detail);
    }

    [Fact]
    public void Encode_ListAboveLimit_Throws()
    {
        var tooMany = new GetBlocksMessage(Enumerable.Range(0, ProtocolLimits.MaxBlocksPerMessage + 1).Select(TestData.HashOf).ToArray());

        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(tooMany));
    }

    [Fact]
    public void Decode_UnknownType_ReturnsUndecodable()
    {
        var decoded = MessageCodec.Decode((MessageType)999, []);

        Assert.Equal(ProtocolErrorKind.Undecodable, decoded.Error!.Kind);
    }

    private static byte[] GossipPayload(int announcements, int heartbeats, int itemBytes)
    {
        var message = new MasternodeGossipMessage(
            Enumerable.Range(0, announcements).Select(_ => (ReadOnlyMemory<byte>)new byte[itemBytes]).ToArray(),
            Enumerable.Range(0, heartbeats).Select(_ => (ReadOnlyMemory<byte>)new byte[itemBytes]).ToArray());
        return MessageCodec.Encode(message);
    }

    [Fact]
    public void Decode_GossipBatchAtBothMaximums_Succeeds()
    {
        var payload = GossipPayload(ProtocolLimits.MaxGossipAnnouncementsPerBatch, ProtocolLimits.MaxGossipHeartbeatsPerBatch, 200);

        var decoded = MessageCodec.Decode(MessageType.MasternodeGossip, payload);

        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        Assert.Equal(ProtocolLimits.MaxGossipAnnouncementsPerBatch + ProtocolLimits.MaxGossipHeartbeatsPerBatch, ((MasternodeGossipMessage)decoded.Message!).Count);
    }

    [Theory]
    [InlineData(0, uint.MaxValue, "gossip announcements count 4294967295 exceeds the maximum of 1000")]
    [InlineData(0, ProtocolLimits.MaxGossipAnnouncementsPerBatch + 1, "gossip announcements count 1001 exceeds the maximum of 1000")]
    [InlineData(4, ProtocolLimits.MaxGossipHeartbeatsPerBatch + 1, "gossip heartbeats count 2001 exceeds the maximum of 2000")]
    public void Decode_GossipCountAboveItsMaximum_UndecodableBeforeAllocating(int offset, uint count, string error)
    {
        var payload = new byte[8]; // two counts of zero and nothing else: a count above its bound fails before the byte check
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(offset), count);

        var decoded = MessageCodec.Decode(MessageType.MasternodeGossip, payload);

        Assert.Equal(ProtocolErrorKind.Undecodable, decoded.Error!.Kind);
        Assert.Contains(error, decoded.Error.Detail);
    }

    [Fact]
    public void Decode_AnnouncedHeaderAboveItsMaximum_UndecodableNamingTheField()
    {
        var payload = new byte[32 + 8 + 4 + ProtocolLimits.MaxAnnouncedHeaderBytes + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(40), ProtocolLimits.MaxAnnouncedHeaderBytes + 1);

        var decoded = MessageCodec.Decode(MessageType.HeaderAnnouncement, payload);

        Assert.Equal(ProtocolErrorKind.Undecodable, decoded.Error!.Kind);
        Assert.Contains($"header is {ProtocolLimits.MaxAnnouncedHeaderBytes + 1} bytes, the maximum is {ProtocolLimits.MaxAnnouncedHeaderBytes}", decoded.Error.Detail);
    }

    [Fact]
    public void Encode_AnnouncedHeaderAboveItsMaximum_Throws() =>
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new HeaderAnnouncementMessage(TestData.HashOf(1), 1, new byte[ProtocolLimits.MaxAnnouncedHeaderBytes + 1])));

    [Fact]
    public void Decode_GossipItemAboveTheItemMaximum_UndecodableNamingTheField()
    {
        var payload = new byte[4 + 4 + 4 + ProtocolLimits.MaxGossipItemBytes + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(8), ProtocolLimits.MaxGossipItemBytes + 1);

        var decoded = MessageCodec.Decode(MessageType.MasternodeGossip, payload);

        Assert.Contains($"gossip heartbeats is {ProtocolLimits.MaxGossipItemBytes + 1} bytes, the maximum is {ProtocolLimits.MaxGossipItemBytes}", decoded.Error!.Detail);
    }

    [Fact]
    public void Decode_GossipBatchWithNoItem_Undecodable()
    {
        var decoded = MessageCodec.Decode(MessageType.MasternodeGossip, new byte[8]);

        Assert.Contains("no item", decoded.Error!.Detail);
    }

    [Fact]
    public void Encode_GossipBatchAboveALimit_Throws()
    {
        Assert.Throws<ArgumentException>(() => MessageCodec.Encode(new MasternodeGossipMessage([], [])));
        Assert.Throws<ArgumentException>(() => GossipPayload(0, ProtocolLimits.MaxGossipHeartbeatsPerBatch + 1, 1));
        Assert.Throws<ArgumentException>(() => GossipPayload(1, 0, ProtocolLimits.MaxGossipItemBytes + 1));
    }
}
