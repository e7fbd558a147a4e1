using System.Diagnostics.CodeAnalysis;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Masternodes;

/// <summary>
/// A masternode's signed self-introduction: key, address and tier. Signed by the announced key itself over
/// <see cref="GetSigningBytes"/>; a masternode must be announced before its heartbeats are accepted.
/// </summary>
public sealed class MasternodeAnnouncement
{
    /// <summary>Domain separator at the start of the signed bytes.</summary>
    public const string SigningDomain = "TIME/masternode-announcement/v1";

    /// <summary>The first byte of <see cref="Encode"/>: the encoding version.</summary>
    public const byte WireVersion = 1;

    private readonly byte[] _signature;

    /// <summary>Creates an announcement from its fields (for example, ones read off the wire).</summary>
    /// <param name="network">Network name (1..32 UTF-8 bytes).</param>
    /// <param name="masternodeKey">The announced masternode's identity (and signer).</param>
    /// <param name="address">Where the masternode listens, "ip:port" ("[v6]:port" for IPv6).</param>
    /// <param name="tier">Collateral tier.</param>
    /// <param name="timestamp">When it was signed; kept to whole milliseconds.</param>
    /// <param name="signature">64-byte Ed25519 signature over <see cref="GetSigningBytes"/>.</param>
    /// <exception cref="ArgumentException">A field is malformed; the message names it.</exception>
    public MasternodeAnnouncement(string network, PublicKey masternodeKey, string address, MasternodeTier tier, DateTimeOffset timestamp, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(masternodeKey);
        if (MasternodeWire.CheckNetwork(network) is { } networkError)
            throw new ArgumentException($"Invalid announcement: {networkError}.", nameof(network));
        if (MasternodeWire.CheckAddress(address) is { } addressError)
            throw new ArgumentException($"Invalid announcement: {addressError}.", nameof(address));
        if (!Enum.IsDefined(tier))
            throw new ArgumentException($"Invalid announcement: unknown tier {(byte)tier}.", nameof(tier));
        if (signature.Length != PublicKey.SignatureSize)
            throw new ArgumentException($"Invalid announcement: the signature is {signature.Length} bytes, expected {PublicKey.SignatureSize}.", nameof(signature));
        Network = network;
        MasternodeKey = masternodeKey;
        Address = address;
        Tier = tier;
        Timestamp = MasternodeWire.ToWireTime(timestamp);
        _signature = signature.ToArray();
    }

    /// <summary>Network name the announcement is for.</summary>
    public string Network { get; }

    /// <summary>The announced masternode's identity.</summary>
    public PublicKey MasternodeKey { get; }

    /// <summary>Where the masternode listens, "ip:port".</summary>
    public string Address { get; }

    /// <summary>Collateral tier.</summary>
    public MasternodeTier Tier { get; }

    /// <summary>When the masternode signed it (whole milliseconds); a newer announcement replaces an older one.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The 64-byte Ed25519 signature.</summary>
    public ReadOnlyMemory<byte> Signature => _signature;

    /// <summary>Creates and signs an announcement with the masternode's persistent key.</summary>
    /// <exception cref="ArgumentException">A field is malformed; the message names it.</exception>
    public static MasternodeAnnouncement Create(KeyPair masternodeKeys, string network, string address, MasternodeTier tier, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(masternodeKeys);
        var unsigned = new MasternodeAnnouncement(network, masternodeKeys.PublicKey, address, tier, timestamp, new byte[PublicKey.SignatureSize]);
        return new MasternodeAnnouncement(network, masternodeKeys.PublicKey, address, tier, timestamp, masternodeKeys.Sign(unsigned.GetSigningBytes()));
    }

    /// <summary>
    /// The canonical bytes that are signed: the ASCII <see cref="SigningDomain"/>, then network (length-prefixed
    /// UTF-8), key (32 bytes), address (length-prefixed UTF-8), tier (1 byte) and timestamp (i64 Unix ms, big-endian).
    /// </summary>
    public byte[] GetSigningBytes()
    {
        var writer = new MasternodeWire.Writer();
        writer.Ascii(SigningDomain);
        WriteFields(writer);
        return writer.ToArray();
    }

    /// <summary>True when <see cref="Signature"/> is the announced key's signature over <see cref="GetSigningBytes"/>.</summary>
    public bool VerifySignature() => MasternodeKey.Verify(GetSigningBytes(), _signature);

    /// <summary>The wire form: version byte, the signed fields without the domain, then the 64-byte signature.</summary>
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
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out MasternodeAnnouncement? announcement, [NotNullWhen(false)] out string? error)
    {
        announcement = null;
        var reader = new MasternodeWire.Reader(data);
        byte version = reader.Byte("version");
        if (reader.Error is null && version != WireVersion)
            reader.Fail($"unsupported announcement version {version} (expected {WireVersion})");
        string network = reader.ShortString("network", MasternodeWire.MaxNetworkBytes);
        var key = reader.Key("masternode key");
        string address = reader.ShortString("address", MasternodeWire.MaxAddressBytes);
        byte tier = reader.Byte("tier");
        if (reader.Error is null && !Enum.IsDefined((MasternodeTier)tier))
            reader.Fail($"unknown tier {tier}");
        var timestamp = reader.Time("timestamp");
        var signature = reader.Bytes(PublicKey.SignatureSize, "signature");
        if (reader.Error is null && reader.Remaining != 0)
            reader.Fail($"{reader.Remaining} unexpected bytes after the signature");
        if (reader.Error is null && MasternodeWire.CheckAddress(address) is { } addressError)
            reader.Fail(addressError);
        if (reader.Error is not null || key is null)
        {
            error = "invalid announcement: " + (reader.Error ?? "missing key");
            return false;
        }
        announcement = new MasternodeAnnouncement(network, key, address, (MasternodeTier)tier, timestamp, signature);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"announcement {MasternodeKey.ToShortString()} {Address} {Tier} at {Timestamp:O} on {Network}";

    private void WriteFields(MasternodeWire.Writer writer)
    {
        writer.ShortString(Network);
        writer.Key(MasternodeKey);
        writer.ShortString(Address);
        writer.Byte((byte)Tier);
        writer.Time(Timestamp);
    }
}
