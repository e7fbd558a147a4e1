using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class SignatureCacheTests
{
    private static (ChainParameters Parameters, KeyPair Key) Devnet()
    {
        var key = KeyPair.Generate();
        return (ChainParameters.CreateDevnet([key.PublicKey], 1_700_000_000, 1), key);
    }

    [Fact]
    public void Verify_SameValidHeaderTwice_VerifiesOnceAndAnswersFromTheCache()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        var block = BlockFactory.Create(parameters, parameters.GenesisHeader, 1, key, []);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(block.Header, key.PublicKey));
        Assert.True(cache.Verify(block.Header, key.PublicKey));
        Assert.Equal(1, cache.Verifications);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void VerifyBytes_SameSignatureTwice_VerifiesOnceAndRejectsOtherBytesOrSigner()
    {
        using var key = KeyPair.Generate();
        using var other = KeyPair.Generate();
        byte[] message = [1, 2, 3, 4];
        var signature = key.Sign(message);
        var cache = new SignatureCache();

        Assert.True(cache.Verify(message, signature, key.PublicKey));
        Assert.True(cache.Verify(message, signature, key.PublicKey));
        Assert.False(cache.Verify([1, 2, 3, 5], signature, key.PublicKey));
        Assert.False(cache.Verify(message, signature, other.PublicKey));
        Assert.False(cache.Verify(message, new byte[PublicKey.SignatureSize], key.PublicKey));

        Assert.Equal(4, cache.Verifications);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void Verify_SameHashWithForgedSignature_IsRejectedAfterTheValidOneWasCached()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        var block = BlockFactory.Create(parameters, parameters.GenesisHeader, 1, key, []);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(block.Header, key.PublicKey));
        var forged = block.Header.WithSignature(new byte[PublicKey.SignatureSize]);
        Assert.Equal(block.Header.Hash, forged.Hash); // the block hash does not cover the signature
        Assert.False(cache.Verify(forged, key.PublicKey));
    }

    [Fact]
    public void Verify_OtherSigner_IsRejectedEvenWhenTheHeaderWasCached()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        using var other = KeyPair.Generate();
        var block = BlockFactory.Create(parameters, parameters.GenesisHeader, 1, key, []);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(block.Header, key.PublicKey));
        Assert.False(cache.Verify(block.Header, other.PublicKey));
    }

    [Fact]
    public void Verify_MoreThanCapacity_KeepsTheNewestOnly()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        var cache = new SignatureCache(capacity: 3);
        var parent = parameters.GenesisHeader;
        var headers = new List<BlockHeader>();
        for (ulong slot = 1; slot <= 5; slot++)
        {
            var block = BlockFactory.Create(parameters, parent, slot, key, []);
            headers.Add(block.Header);
            Assert.True(cache.Verify(block.Header, key.PublicKey));
            parent = block.Header;
        }
        Assert.Equal(3, cache.Count);
        long before = cache.Verifications;
        Assert.True(cache.Verify(headers[4], key.PublicKey)); // newest: from the cache
        Assert.Equal(before, cache.Verifications);
        Assert.True(cache.Verify(headers[0], key.PublicKey)); // evicted: verified again
        Assert.Equal(before + 1, cache.Verifications);
    }

    [Fact]
    public void ChainState_BlockWhoseHeaderWasCheckedThroughItsCache_IsNotVerifiedTwice()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        var chain = new ChainState(parameters);
        var block = BlockFactory.Create(parameters, chain.Tip, 1, key, [new byte[16]]);
        Assert.True(chain.SignatureCache.Verify(block.Header, block.Header.Producer)); // the sync header check
        var result = chain.TryAdd(block, DateTimeOffset.FromUnixTimeSeconds(block.Header.Timestamp));
        Assert.Equal(BlockAddStatus.Extended, result.Status);
        Assert.Equal(1, chain.SignatureCache.Verifications);
    }

    [Fact]
    public void VerifyBytes_AfterTheGenuineTripleWasCached_EveryTamperedOneMissesAndIsVerified()
    {
        // An entry is the exact bytes (message, signature, key); its bucket hash covers only the signature. A copy with
        // the same signature but another message or key shares the genuine entry's bucket and must still miss.
        using var key = KeyPair.Generate();
        using var other = KeyPair.Generate();
        byte[] message = [10, 20, 30, 40, 50, 60, 70, 80];
        var signature = key.Sign(message);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(message, signature, key.PublicKey));

        var tamperedSignature = (byte[])signature.Clone();
        tamperedSignature[PublicKey.SignatureSize - 1] ^= 0x01;
        var tamperedMessage = (byte[])message.Clone();
        tamperedMessage[0] ^= 0x80;
        byte[] longerMessage = [.. message, 0];
        Assert.False(cache.Verify(message, tamperedSignature, key.PublicKey));
        Assert.False(cache.Verify(tamperedMessage, signature, key.PublicKey));
        Assert.False(cache.Verify(longerMessage, signature, key.PublicKey));
        Assert.False(cache.Verify(message[..^1], signature, key.PublicKey));
        Assert.False(cache.Verify(message, signature, other.PublicKey));
        Assert.Equal(6, cache.Verifications); // each tampered triple was verified, none answered from the cache
        Assert.Equal(0, cache.Hits);
        Assert.Equal(1, cache.Count);

        Assert.True(cache.Verify((byte[])message.Clone(), (byte[])signature.Clone(), key.PublicKey)); // equal bytes, other arrays
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void Verify_HeaderWithOneBitOfItsSignatureFlipped_MissesAfterTheGenuineWasCached()
    {
        var (parameters, key) = Devnet();
        using var _ = key;
        var block = BlockFactory.Create(parameters, parameters.GenesisHeader, 1, key, []);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(block.Header, key.PublicKey));
        var signature = block.Header.Signature.ToArray();
        signature[0] ^= 0x01;
        Assert.False(cache.Verify(block.Header.WithSignature(signature), key.PublicKey));
        Assert.Equal(2, cache.Verifications);
        Assert.True(cache.Verify(block.Header.WithSignature(block.Header.Signature), key.PublicKey)); // an equal copy hits
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void VerifyBytes_SignedBytesLargerThanTheStackBuffer_AreCachedAndComparedExactly()
    {
        using var key = KeyPair.Generate();
        var message = new byte[2000];
        for (int i = 0; i < message.Length; i++)
            message[i] = (byte)i;
        var signature = key.Sign(message);
        var cache = new SignatureCache();
        Assert.True(cache.Verify(message, signature, key.PublicKey));
        Assert.True(cache.Verify(message, signature, key.PublicKey));
        message[1500] ^= 0x01;
        Assert.False(cache.Verify(message, signature, key.PublicKey));
        Assert.Equal(2, cache.Verifications);
        Assert.Equal(1, cache.Hits);
    }
}
