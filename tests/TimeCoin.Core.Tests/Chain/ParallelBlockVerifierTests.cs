using TimeCoin.Core.Chain;

namespace TimeCoin.Core.Tests.Chain;

public class ParallelBlockVerifierTests
{
    [Fact]
    public void Start_ParallelismFour_VerifiesEverySignatureAheadSoTryAddOnlyHitsTheCache()
    {
        var network = new TestNetwork();
        var chain = new ChainState(network.Parameters);
        var blocks = network.Extend(network.Genesis, 40);
        var verifier = new ParallelBlockVerifier(network.Parameters, chain.SignatureCache, parallelism: 4);

        var run = verifier.Start(blocks);
        for (int i = 0; i < blocks.Count; i++)
        {
            run.WaitFor(i);
            Assert.Equal(BlockAddStatus.Extended, chain.TryAdd(blocks[i], TestNetwork.Later).Status);
        }

        Assert.Equal(40, chain.SignatureCache.Verifications); // each signature verified once, by the run
        Assert.Equal(40, chain.SignatureCache.Hits);          // and TryAdd found every one in the cache
    }

    [Fact]
    public void Start_ParallelismOne_DoesNothingAheadAndLeavesVerificationToTryAddOnTheCallersThread()
    {
        var network = new TestNetwork();
        var chain = new ChainState(network.Parameters);
        var blocks = network.Extend(network.Genesis, 10);
        var verifier = new ParallelBlockVerifier(network.Parameters, chain.SignatureCache, parallelism: 1);

        var run = verifier.Start(blocks);
        for (int i = 0; i < blocks.Count; i++)
            run.WaitFor(i);
        Assert.Equal(0, chain.SignatureCache.Verifications);

        foreach (var block in blocks)
            Assert.Equal(BlockAddStatus.Extended, chain.TryAdd(block, TestNetwork.Later).Status);
        Assert.Equal(10, chain.SignatureCache.Verifications);
        Assert.Equal(0, chain.SignatureCache.Hits);
    }

    [Fact]
    public void Start_BadSignatureInTheBatch_IsNotCachedAndTryAddRejectsItAsBadSignature()
    {
        var network = new TestNetwork();
        var chain = new ChainState(network.Parameters);
        var blocks = network.Extend(network.Genesis, 12);
        var bad = blocks[7];
        blocks[7] = new Block(bad.Header.WithSignature(new byte[64]), bad.Transactions);
        var verifier = new ParallelBlockVerifier(network.Parameters, chain.SignatureCache, parallelism: 3);

        var run = verifier.Start(blocks);
        var results = new List<BlockAddResult>();
        for (int i = 0; i < blocks.Count; i++)
        {
            run.WaitFor(i);
            results.Add(chain.TryAdd(blocks[i], TestNetwork.Later));
        }

        Assert.All(results.Take(7), r => Assert.Equal(BlockAddStatus.Extended, r.Status));
        Assert.Equal(BlockAddStatus.Rejected, results[7].Status);
        Assert.Equal(BlockRejectionReason.BadSignature, results[7].Reason);
        Assert.Equal(blocks[7].Hash, results[7].Header.Hash);
        Assert.All(results.Skip(8), r => Assert.Equal(BlockAddStatus.Orphan, r.Status));
        Assert.Equal(7, chain.Height);
    }

    [Fact]
    public void VerifyHeaders_ParallelismThree_LeavesEverySignatureInTheCache()
    {
        var network = new TestNetwork();
        var chain = new ChainState(network.Parameters);
        var headers = network.Extend(network.Genesis, 20).Select(b => b.Header).ToList();
        var verifier = new ParallelBlockVerifier(network.Parameters, chain.SignatureCache, parallelism: 3);

        verifier.VerifyHeaders(headers);

        Assert.Equal(20, chain.SignatureCache.Verifications);
        Assert.Equal(20, chain.SignatureCache.Count);
        Assert.All(headers, h => Assert.True(chain.SignatureCache.Verify(h, h.Producer)));
        Assert.Equal(20, chain.SignatureCache.Hits);
    }

    [Fact]
    public void VerifyHeaders_ForgedHeaderAtFive_CachesTheFiveBeforeAndStopsStartingNewOnes()
    {
        var network = new TestNetwork();
        var chain = new ChainState(network.Parameters);
        var headers = network.Extend(network.Genesis, 1000).Select(b => b.Header).ToList();
        headers[5] = headers[5].WithSignature(new byte[64]);
        var verifier = new ParallelBlockVerifier(network.Parameters, chain.SignatureCache, parallelism: 3);

        verifier.VerifyHeaders(headers);

        // Taken in order; after the forged one fails no new header is started (only those already in flight finish;
        // the bound is loose because a thread may be descheduled while it checks the forged one).
        Assert.InRange(chain.SignatureCache.Verifications, 6, 999);
        Assert.All(headers.Take(5), h => Assert.True(chain.SignatureCache.Verify(h, h.Producer)));
        Assert.Equal(5, chain.SignatureCache.Hits);
        Assert.False(chain.SignatureCache.Verify(headers[5], headers[5].Producer)); // a failure is never remembered
    }

    [Fact]
    public void Constructor_ParallelismBelowOne_IsRefused()
    {
        var network = new TestNetwork();
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParallelBlockVerifier(network.Parameters, new SignatureCache(), 0));
    }
}
