namespace TimeCoin.Sync.Tests;

/// <summary>
/// The claim clock (<see cref="SyncPlannerOptions.ClaimProofTimeout"/>) of a peer that claims a height above everything
/// we know: what stops it, what only pauses it, and that honest peers a block ahead are never reported.
/// </summary>
public class SyncPlannerClaimClockTests
{
    private const long Claim = 1_000_000;

    private static readonly PeerSyncInfo Lie =
        new("liar", Claim, FakeChain.HashOf("made-up", Claim), IsMasternode: true, ThroughputBlocksPerSecond: 100);

    /// <summary>
    /// A peer claims a height far above everyone's on a node that follows the chain (an honest producer announces a
    /// block with its header every 10 s), answers header requests with nothing, and every 90 s looks backed for a moment:
    /// it shows a real tip we already have, or the producer's fresh block before we have it (it is asked for that block
    /// first, being the fastest, stalls on it and loses its claim until our chain passes it), or it disconnects and
    /// reconnects (same node id). Each of these cleared its claim clock, so with a 2 min proof timeout it was never
    /// reported. Now a claim that looked backed without being proved keeps its clock (a lost claim only pauses it,
    /// and a reconnect brings it back), and it is reported about once per proof timeout.
    /// </summary>
    [Theory]
    [InlineData("real tip")]
    [InlineData("fresh tip, stalls")]
    [InlineData("reconnects")]
    public void Plan_LiarLooksBackedNowAndThen_StillReportedOncePerProofTimeout(string move)
    {
        var options = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromMinutes(2) };
        var harness = new SyncHarness(FakeChain.Create("main", 50), options);
        var honest = FakeChain.Create("main", 50);
        harness.AddPeer("producer", honest, masternode: true);
        harness.Planner.UpdatePeer(Lie);

        for (int second = 1; second <= 7 * 60; second++)
        {
            if (second % 10 == 0)
            {
                honest.Extend("main", 1);
                harness.AddPeer("producer", honest, masternode: true);
                Assert.True(harness.Planner.OnHeaderAnnounced("producer", honest.LinkAt(honest.Height)));
            }
            if (second % 90 == 0)
            {
                switch (move)
                {
                    case "real tip":
                        harness.Planner.UpdatePeer(Lie with { BestHeight = harness.Chain.Height, TipHash = harness.Chain.TipHash });
                        break;
                    case "fresh tip, stalls":
                        harness.Planner.UpdatePeer(Lie with { BestHeight = honest.Height, TipHash = honest.TipHash });
                        break;
                    default:
                        harness.Planner.OnPeerDisconnected("liar");
                        harness.Planner.UpdatePeer(Lie);
                        break;
                }
            }
            else if (second % 90 == 4)
            {
                harness.Planner.UpdatePeer(Lie);
            }
            harness.Round(r => r.PeerId == "liar" ? [] : honest.HeadersAfter(r.Locator, r.MaxHeaders), peer => peer == "producer");
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(50 + 42, harness.Chain.Height);
        if (move == "fresh tip, stalls")
            Assert.Contains(harness.Stalls, s => s.PeerId == "liar");
        var reports = harness.Misbehaviours.Where(m => m.Kind == MisbehaviourKind.UnbackedHeightClaim).ToList();
        Assert.All(reports, m => Assert.Equal("liar", m.PeerId));
        Assert.InRange(reports.Count, 3, 4); // at about 2, 4 and 6 minutes (a lost claim's moments are not counted)
        Assert.DoesNotContain(harness.Misbehaviours, m => m.PeerId == "producer");
    }

    /// <summary>
    /// The honest side: on a node that follows the chain, one peer claims each new block a second before the producer
    /// announces it (and answers header requests with its headers), another claims it only once its header proves it,
    /// and a third (a block ahead now and then) drops its connection and comes back every 95 s. With a proof timeout of
    /// one minute, over 30 minutes, nobody is reported: a claim proved by headers stops the clock.
    /// </summary>
    [Fact]
    public void Plan_HonestPeersABlockAheadNowAndThen_NeverReported()
    {
        var options = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromMinutes(1) };
        var harness = new SyncHarness(FakeChain.Create("main", 50), options);
        var produced = FakeChain.Create("main", 50);
        var early = FakeChain.Create("main", 50);
        harness.AddPeer("producer", produced, masternode: true);
        harness.AddPeer("early", early);
        harness.AddPeer("backed", harness.Chain);
        harness.AddPeer("reconnects", early);

        for (int second = 1; second <= 30 * 60; second++)
        {
            if (second % 10 == 9)
            {
                // The next block reaches "early" (and "reconnects") a second before its producer announces it to us.
                early.Extend("main", 1);
                harness.AddPeer("early", early);
                harness.AddPeer("reconnects", early);
            }
            if (second % 10 == 0)
            {
                produced.Extend("main", 1);
                harness.AddPeer("producer", produced, masternode: true);
                Assert.True(harness.Planner.OnHeaderAnnounced("producer", produced.LinkAt(produced.Height)));
            }
            if (second % 95 == 0)
            {
                harness.Planner.OnPeerDisconnected("reconnects");
                harness.AddPeer("reconnects", early);
            }
            harness.Round(r => harness.PeerChains[r.PeerId].HeadersAfter(r.Locator, r.MaxHeaders), _ => true);
            // "backed" claims only what our chain has.
            harness.AddPeer("backed", FakeChain.Create("main", harness.Chain.Height));
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(50 + 180, harness.Chain.Height);
        Assert.Empty(harness.Misbehaviours);
    }
}
