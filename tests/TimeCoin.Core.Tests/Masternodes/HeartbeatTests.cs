using System.Text;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;

namespace TimeCoin.Core.Tests.Masternodes;

public sealed class HeartbeatTests : IDisposable
{
    private static readonly DateTimeOffset SignedAt = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly KeyPair _keys = KeyPair.Generate();
    private readonly KeyPair _otherKeys = KeyPair.Generate();

    public void Dispose()
    {
        _keys.Dispose();
        _otherKeys.Dispose();
    }

    private Heartbeat Valid() => Heartbeat.Create(_keys, "testnet", "10.0.0.1:24100", 7, SignedAt, 1919);

    [Fact]
    public void Create_SignsWithTheMasternodeKey_VerifySignatureTrue()
    {
        var heartbeat = Valid();
        Assert.True(heartbeat.VerifySignature());
        Assert.Equal(_keys.PublicKey, heartbeat.MasternodeKey);
    }

    [Fact]
    public void VerifySignature_SignedByAnotherKey_False()
    {
        var genuine = Valid();
        var forged = new Heartbeat("testnet", _keys.PublicKey, "10.0.0.1:24100", 7, SignedAt, 1919,
            _otherKeys.Sign(genuine.GetSigningBytes()));
        Assert.False(forged.VerifySignature());
    }

    [Theory]
    [InlineData("network")]
    [InlineData("key")]
    [InlineData("address")]
    [InlineData("sequence")]
    [InlineData("timestamp")]
    [InlineData("height")]
    public void VerifySignature_AnySignedFieldTampered_False(string field)
    {
        var h = Valid();
        var tampered = new Heartbeat(
            field == "network" ? "mainnet" : h.Network,
            field == "key" ? _otherKeys.PublicKey : h.MasternodeKey,
            field == "address" ? "10.0.0.2:24100" : h.Address,
            field == "sequence" ? h.Sequence + 1 : h.Sequence,
            field == "timestamp" ? h.Timestamp.AddMilliseconds(1) : h.Timestamp,
            field == "height" ? h.ChainHeight + 1 : h.ChainHeight,
            h.Signature.Span);
        Assert.False(tampered.VerifySignature());
    }

    [Fact]
    public void GetSigningBytes_StartWithTheDomainSeparator()
    {
        var bytes = Valid().GetSigningBytes();
        Assert.Equal("TIME/heartbeat/v1", Encoding.ASCII.GetString(bytes, 0, Heartbeat.SigningDomain.Length));
    }

    [Fact]
    public void GetSigningBytesAndEncode_ExactLayout_AndTheDecodedCopyHasTheSameFields()
    {
        // Built by hand from the documented layout (the writer was rewritten in session 7; the bytes must not move).
        var h = Heartbeat.Create(_keys, "testnet", "10.0.0.1:24100", 7, SignedAt, 1919);
        var fields = new List<byte> { 7 };
        fields.AddRange("testnet"u8.ToArray());
        fields.AddRange(_keys.PublicKey.Bytes.ToArray());
        fields.Add(14);
        fields.AddRange("10.0.0.1:24100"u8.ToArray());
        fields.AddRange(new byte[] { 0, 0, 0, 0, 0, 0, 0, 7 });
        fields.AddRange(BitConverter.GetBytes(SignedAt.ToUnixTimeMilliseconds()).Reverse());
        fields.AddRange(new byte[] { 0, 0, 0, 0, 0, 0, 0x07, 0x7f });
        Assert.Equal([.. "TIME/heartbeat/v1"u8.ToArray(), .. fields], h.GetSigningBytes());
        Assert.Equal([Heartbeat.WireVersion, .. fields, .. h.Signature.ToArray()], h.Encode());

        Assert.True(Heartbeat.TryDecode(h.Encode(), out var decoded, out var error), error);
        Assert.Equal((h.Network, h.MasternodeKey, h.Address, h.Sequence, h.Timestamp, h.ChainHeight),
            (decoded.Network, decoded.MasternodeKey, decoded.Address, decoded.Sequence, decoded.Timestamp, decoded.ChainHeight));
        Assert.Equal(h.Signature.ToArray(), decoded.Signature.ToArray());
        Assert.True(decoded.VerifySignature());
        Assert.Equal(h.Encode(), decoded.Encode());
    }

    [Fact]
    public void Create_SubMillisecondTimestamp_KeptToMillisecondsAndStillVerifiesAfterRoundTrip()
    {
        var heartbeat = Heartbeat.Create(_keys, "testnet", "10.0.0.1:24100", 1, SignedAt.AddTicks(1234), 5);
        Assert.Equal(SignedAt, heartbeat.Timestamp);
        Assert.True(Heartbeat.TryDecode(heartbeat.Encode(), out var decoded, out _));
        Assert.True(decoded.VerifySignature());
    }

    [Fact]
    public void TryDecode_EncodedHeartbeat_RoundTripsEveryField()
    {
        var original = Heartbeat.Create(_keys, "testnet", "[2001:db8::1]:24100", ulong.MaxValue, SignedAt, 123_456);

        Assert.True(Heartbeat.TryDecode(original.Encode(), out var decoded, out var error), error);

        Assert.Equal(original.Network, decoded.Network);
        Assert.Equal(original.MasternodeKey, decoded.MasternodeKey);
        Assert.Equal(original.Address, decoded.Address);
        Assert.Equal(original.Sequence, decoded.Sequence);
        Assert.Equal(original.Timestamp, decoded.Timestamp);
        Assert.Equal(original.ChainHeight, decoded.ChainHeight);
        Assert.True(decoded.VerifySignature());
        Assert.Equal(original.Encode(), decoded.Encode());
    }

    [Fact]
    public void TryDecode_EveryTruncation_ReturnsErrorWithoutThrowing()
    {
        var encoded = Valid().Encode();
        for (int length = 0; length < encoded.Length; length++)
        {
            Assert.False(Heartbeat.TryDecode(encoded.AsSpan(0, length), out var heartbeat, out var error));
            Assert.Null(heartbeat);
            Assert.StartsWith("invalid heartbeat: ", error);
        }
    }

    [Fact]
    public void TryDecode_TruncatedInsideSignature_ErrorNamesTheField()
    {
        var encoded = Valid().Encode();
        Assert.False(Heartbeat.TryDecode(encoded.AsSpan(0, encoded.Length - 10), out _, out var error));
        Assert.Contains("signature", error);
    }

    [Fact]
    public void TryDecode_RandomGarbage_ReturnsErrorWithoutThrowing()
    {
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (garbage.Length > 0)
                garbage[0] = Heartbeat.WireVersion;
            var ok = Heartbeat.TryDecode(garbage, out _, out var error);
            Assert.True(ok || error is not null);
        }
    }

    [Fact]
    public void TryDecode_TrailingBytes_Rejected()
    {
        var encoded = Valid().Encode().Concat(new byte[] { 0 }).ToArray();
        Assert.False(Heartbeat.TryDecode(encoded, out _, out var error));
        Assert.Contains("unexpected bytes", error);
    }

    [Fact]
    public void TryDecode_UnknownVersion_ErrorNamesTheVersion()
    {
        var encoded = Valid().Encode();
        encoded[0] = 9;
        Assert.False(Heartbeat.TryDecode(encoded, out _, out var error));
        Assert.Contains("version 9", error);
    }

    [Fact]
    public void TryDecode_AddressNotIpPort_Rejected()
    {
        var encoded = Valid().Encode();
        // The address follows version(1), network length(1) + "testnet"(7), key(32), address length(1).
        int addressStart = 1 + 1 + 7 + 32 + 1;
        Encoding.ASCII.GetBytes("xx.0.0.1:24100").CopyTo(encoded, addressStart);
        Assert.False(Heartbeat.TryDecode(encoded, out _, out var error));
        Assert.Contains("not ip:port", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1:0")]
    [InlineData("node.example.com:24100")]
    [InlineData("2001:db8::1")]
    public void Create_AddressNotIpPort_ThrowsNamingTheAddress(string address)
    {
        var error = Assert.Throws<ArgumentException>(() => Heartbeat.Create(_keys, "testnet", address, 1, SignedAt, 1));
        Assert.Equal("address", error.ParamName);
    }

    [Fact]
    public void Create_EmptyNetwork_ThrowsNamingTheNetwork()
    {
        var error = Assert.Throws<ArgumentException>(() => Heartbeat.Create(_keys, "", "10.0.0.1:24100", 1, SignedAt, 1));
        Assert.Equal("network", error.ParamName);
    }
}
