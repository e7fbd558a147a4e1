using NSec.Cryptography;

namespace TimeCoin.Core.Crypto;

/// <summary>
/// An Ed25519 signing key with its public key. A masternode keeps one persistent key pair (stored by the node as
/// its 32-byte private seed) so that its heartbeats and announcements stay verifiable across restarts.
/// </summary>
public sealed class KeyPair : IDisposable
{
    /// <summary>Length of the private seed in bytes.</summary>
    public const int PrivateKeySize = 32;

    private readonly Key _key;

    private KeyPair(Key key)
    {
        _key = key;
        PublicKey = new PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The public half: the node's or masternode's identity.</summary>
    public PublicKey PublicKey { get; }

    /// <summary>Creates a fresh key pair from the operating system's cryptographic random source.</summary>
    public static KeyPair Generate() => new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Restores a key pair from its 32-byte private seed (as written by <see cref="ExportPrivateKey"/>).</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    public static KeyPair FromPrivateKey(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != PrivateKeySize)
            throw new ArgumentException($"An Ed25519 private key seed is {PrivateKeySize} bytes, got {seed.Length}.", nameof(seed));
        return new KeyPair(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>The 32-byte private seed. Treat as a secret.</summary>
    public byte[] ExportPrivateKey() => _key.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>Signs <paramref name="data"/>; the result is a 64-byte Ed25519 signature.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_key, data);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
