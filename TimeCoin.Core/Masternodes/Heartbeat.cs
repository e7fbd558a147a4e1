using System.Diagnostics.CodeAnalysis;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>
/// A masternode's signed statement "I am alive at this address, at this chain height", sent every
/// <see cref="HeartbeatOptions.HeartbeatInterval"/> and relayed through any peer. It is signed with the
/// masternode's persistent Ed25519 key over <see cref="GetSigningBytes"/>.
/// </summary>
/// <remarks>
/// The constructor checks the fields' shape (so every instance can be encoded) but not the signature; call
/// <see cref="VerifySignature"/> or let <see cref="HeartbeatRegistry.Accept(Heartbeat)"/> do it.
/// </remarks>
public sealed class Heartbeat
{
    /// <summary>Domain separator at the start of the signed bytes, so a heartbeat signature can never be taken for another message's.</summary>
    public const string SigningDomain = "TIME/heartbeat/v1";

    /// <summary>The first byte of <see cref="Encode"/>: the encoding version.</summary>
    public const byte WireVersion = 1;

    private readonly byte[] _signature;

    /// <summary>Creates a heartbeat from its fields (for example, ones read off the wire).</summary>
    /// <param name="network">Network name, e.g. "testnet" (1..32 UTF-8 bytes).</param>
    /// <param name="masternodeKey">The masternode's identity.</param>
    /// <param name="address">Where the masternode listens, "ip:port" ("[v6]:port" for IPv6).</param>
    /// <param name="sequence">Increases with every heartbeat the masternode signs.</param>
    /// <param name="timestamp">When it was signed; kept to whole milliseconds.</param>
    /// <param name="chainHeight">The masternode's chain height when it signed.</param>
    /// <param name="signature">64-byte Ed25519 signature over <see cref="GetSigningBytes"/>.</param>
    /// <exception cref="ArgumentException">A field is malformed; the message names it.</exception>
    public Heartbeat(string network, PublicKey masternodeKey, string address, ulong sequence, DateTimeOffset timestamp, ulong chainHeight, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(masternodeKey);
        if (MasternodeWire.CheckNetwork(network) is { } networkError)
            throw new ArgumentException($"Invalid heartbeat: {networkError}.", nameof(network));
        if (MasternodeWire.CheckAddress(address) is { } addressError)
            throw new ArgumentException($"Invalid heartbeat: {addressError}.", nameof(address));
        if (signature.Length != PublicKey.SignatureSize)
            throw new ArgumentException($"Invalid heartbeat: the signature is {signature.Length} bytes, expected {PublicKey.SignatureSize}.", nameof(signature));
        Network = network;
        MasternodeKey = masternodeKey;
        Address = address;
        Sequence = sequence;
        Timestamp = MasternodeWire.ToWireTime(timestamp);
        ChainHeight = chainHeight;
        _signature = signature.ToArray();
    }

    /// <summary>
    /// For <see cref="TryDecode"/>, which has checked every field already (the network's and the address's length and
    /// UTF-8, the address's form, whole-millisecond time, the signature's length): the public constructor would parse the
    /// address a second time for every heartbeat received. (The key comes first so that no call meant for the public
    /// constructor can land here.)
    /// </summary>
    private Heartbeat(PublicKey masternodeKey, string network, string address, ulong sequence, DateTimeOffset timestamp, ulong chainHeight, byte[] signature)
    {
        Network = network;
        MasternodeKey = masternodeKey;
        Address = address;
        Sequence = sequence;
        Timestamp = timestamp;
        ChainHeight = chainHeight;
        _signature = signature;
    }

    /// <summary>Network name the heartbeat is for.</summary>
    public string Network { get; }

    /// <summary>The masternode's identity (and the key that must have signed).</summary>
    public PublicKey MasternodeKey { get; }

    /// <summary>Where the masternode listens, "ip:port".</summary>
    public string Address { get; }

    /// <summary>Increases with every heartbeat from this masternode; the registry rejects anything not above the last.</summary>
    public ulong Sequence { get; }

    /// <summary>When the masternode signed it (whole milliseconds).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The masternode's chain height when it signed.</summary>
    public ulong ChainHeight { get; }

    /// <summary>The 64-byte Ed25519 signature.</summary>
    public ReadOnlyMemory<byte> Signature => _signature;

    /// <summary>Creates and signs a heartbeat with the masternode's persistent key.</summary>
    /// <exception cref="ArgumentException">A field is malformed; the message names it.</exception>
    public static Heartbeat Create(KeyPair masternodeKeys, string network, string address, ulong sequence, DateTimeOffset timestamp, ulong chainHeight)
    {
        ArgumentNullException.ThrowIfNull(masternodeKeys);
        var unsigned = new Heartbeat(network, masternodeKeys.PublicKey, address, sequence, timestamp, chainHeight, new byte[PublicKey.SignatureSize]);
        return new Heartbeat(network, masternodeKeys.PublicKey, address, sequence, timestamp, chainHeight, masternodeKeys.Sign(unsigned.GetSigningBytes()));
    }

    /// <summary>
    /// The canonical bytes that are signed: the ASCII <see cref="SigningDomain"/>, then network (length-prefixed
    /// UTF-8), key (32 bytes), address (length-prefixed UTF-8), sequence (u64), timestamp (i64 Unix ms) and chain
    /// height (u64), integers big-endian.
    /// </summary>
    public byte[] GetSigningBytes()
    {
        var writer = new MasternodeWire.Writer();
        writer.Ascii(SigningDomain);
        WriteFields(writer);
        return writer.ToArray();
    }

    /// <summary>True when <see cref="Signature"/> is the masternode key's signature over <see cref="GetSigningBytes"/>.</summary>
    public bool VerifySignature() => MasternodeKey.Verify(GetSigningBytes(), _signature);

    /// <summary>
    /// The wire form: version byte, the signed fields as in <see cref="GetSigningBytes"/> without the domain, then
    /// the 64-byte signature.
    /// </summary>
    public byte[] Encode()
    {
        var writer = new MasternodeWire.Writer();
        writer.Byte(WireVersion);
        WriteFields(writer);
        writer.Raw(_signature);
        return writer.ToArray();
    }

    /// <summary>
    /// Reads the wire form. Checks structure only (not the signature). Never throws on bad input: returns false
    /// with an error naming the field that was wrong.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out Heartbeat? heartbeat, [NotNullWhen(false)] out string? error)
    {
        heartbeat = null;
        var reader = new MasternodeWire.Reader(data);
        byte version = reader.Byte("version");
        if (reader.Error is null && version != WireVersion)
            reader.Fail($"unsupported heartbeat version {version} (expected {WireVersion})");
        string network = reader.ShortString("network", MasternodeWire.MaxNetworkBytes);
        var key = reader.Key("masternode key");
        string address = reader.ShortString("address", MasternodeWire.MaxAddressBytes);
        ulong sequence = reader.UInt64("sequence");
        var timestamp = reader.Time("timestamp");
        ulong height = reader.UInt64("chain height");
        var signature = reader.Bytes(PublicKey.SignatureSize, "signature");
        if (reader.Error is null && reader.Remaining != 0)
            reader.Fail($"{reader.Remaining} unexpected bytes after the signature");
        if (reader.Error is null && MasternodeWire.CheckAddress(address) is { } addressError)
            reader.Fail(addressError);
        if (reader.Error is not null || key is null)
        {
            error = "invalid heartbeat: " + (reader.Error ?? "missing key");
            return false;
        }
        heartbeat = new Heartbeat(key, network, address, sequence, timestamp, height, signature);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"heartbeat {MasternodeKey.ToShortString()} {Address} seq {Sequence} height {ChainHeight} at {Timestamp:O} on {Network}";

    private void WriteFields(MasternodeWire.Writer writer)
    {
        writer.ShortString(Network);
        writer.Key(MasternodeKey);
        writer.ShortString(Address);
        writer.UInt64(Sequence);
        writer.Time(Timestamp);
        writer.UInt64(ChainHeight);
    }
}
