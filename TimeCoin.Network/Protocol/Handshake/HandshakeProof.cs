using System.Buffers.Binary;
using System.Text;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// What a <see cref="VerAckMessage"/> signs: a domain tag, the network magic, the receiver's version nonce, the
/// signer's node id and the receiver's node id. The fresh nonce stops replay; the receiver's id stops a man in the
/// middle from relaying one peer's proof to another.
/// </summary>
internal static class HandshakeProof
{
    private static readonly byte[] DomainTag = Encoding.ASCII.GetBytes("TimeCoin handshake v1");

    /// <summary>The bytes the signer signs.</summary>
    public static byte[] SigningData(NetworkMagic magic, ulong receiverNonce, PublicKey signer, PublicKey receiver)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(receiver);
        var data = new byte[DomainTag.Length + 4 + 8 + PublicKey.Size * 2];
        var span = data.AsSpan();
        DomainTag.CopyTo(span);
        span = span[DomainTag.Length..];
        BinaryPrimitives.WriteUInt32LittleEndian(span, magic.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(span[4..], receiverNonce);
        signer.Bytes.CopyTo(span[12..]);
        receiver.Bytes.CopyTo(span[(12 + PublicKey.Size)..]);
        return data;
    }

    /// <summary>Signs the proof for the peer whose nonce and id are given.</summary>
    public static byte[] Sign(KeyPair signer, NetworkMagic magic, ulong receiverNonce, PublicKey receiver)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Sign(SigningData(magic, receiverNonce, signer.PublicKey, receiver));
    }

    /// <summary>True when <paramref name="signature"/> proves <paramref name="signer"/> answered our nonce.</summary>
    public static bool Verify(ReadOnlySpan<byte> signature, NetworkMagic magic, ulong receiverNonce, PublicKey signer, PublicKey receiver) =>
        signer.Verify(SigningData(magic, receiverNonce, signer, receiver), signature);
}
