namespace TimeCoin.Sync.Tests;

/// <summary>
/// Two hostile-peer cases a following node meets in a live network: a producer that announces its block's header and
/// withholds the block, and a peer that claims a height far above everyone's while the header chain grows every block.
/// </summary>
public class SyncPlannerWithholdTests
{
    /// <summary>
    /// Every fourth second one of the three relays from <paramref name="relays"/>[<paramref name="first"/>] on, in turn,
    /// drops its connection and comes back (under the same id, or a new one when <paramref name="freshIds"/>).
    /// </summary>
    private static void ReconnectARelay(SyncHarness harness, List<string> relays, int first, int second, FakeChain chain, bool freshIds)
    {
        if (second % 4 != 3)
            return;
        int k = first + second / 4 % 3;
        harness.Planner.OnPeerDisconnected(relays[k]);
        harness.PeerChains.Remove(relays[k]);
        if (freshIds)
            relays[k] = $"relay-{second}";
        harness.AddPeer(relays[k], chain, masternode: true);
    }

    /// <summary>
    /// A federation producer announces its new block with the (valid, signed) header and never serves the block. The
    /// header is adopted and the producer sent it itself, so a stall on it used to cost the producer nothing: it was
    /// asked again after every rest, for good, and the header chain stayed above our tip. Block production waits while
    /// the header chain is above the tip, so one withholding producer stopped every honest node producing. Now it
    /// loses its claim after <see cref="SyncPlannerOptions.StallsBeforeClaimLost"/> stalls and the header nobody else
    /// has is dropped within one 10 s slot (the coordinator plans every second while a request is out). A stall is not
    /// misbehaviour: nothing is reported.
    /// </summary>
    [Fact]
    public void Plan_ProducerAnnouncesItsHeaderAndWithholdsTheBlock_HeaderChainFallsToTheTipWithinOneSlot()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var withholder = FakeChain.Create("main", 10);
        harness.AddPeer("withholder", withholder, masternode: true);
        harness.AddPeer("honest", FakeChain.Create("main", 10), masternode: true);
        withholder.Extend("main", 1);
        harness.AddPeer("withholder", withholder, masternode: true);
        Assert.True(harness.Planner.OnHeaderAnnounced("withholder", withholder.LinkAt(11)));
        Assert.Equal(11, harness.Planner.GetStatus().HeaderHeight);
        var start = harness.Time.GetUtcNow();

        TimeSpan? fell = null;
        int blockRequests = 0;
        for (int second = 0; second < 120; second++)
        {
            // It answers header requests with its headers (it has them) and never sends the block.
            var plan = harness.Round(r => harness.PeerChains[r.PeerId].HeadersAfter(r.Locator, r.MaxHeaders), _ => false);
            blockRequests += plan.BlockRequests.Count;
            var status = harness.Planner.GetStatus();
            if (fell is null && status.HeaderHeight == 10 && status.BestHeight == 10)
                fell = harness.Time.GetUtcNow() - start;
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(fell is { } t && t < TimeSpan.FromSeconds(10), $"header chain above the tip for {(fell is { } f ? $"{f.TotalSeconds} s" : "the whole 2 minutes")}");
        var final = harness.Planner.GetStatus();
        Assert.Equal((10L, 10L, 10L), (harness.Planner.HeaderHeight, final.HeaderHeight, final.BestHeight));
        // Bounded: its claim stays lost (its tip, its header replies and announcements bring the header back no more).
        Assert.False(harness.Planner.OnHeaderAnnounced("withholder", withholder.LinkAt(11)));
        Assert.Equal(10, harness.Planner.HeaderHeight);
        Assert.Equal(2, blockRequests); // asked once, stalled, rested, asked again, stalled: claim lost
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// The same withholding producer with relays: any node may relay its signed header (only the header is checked,
    /// not who sends it), so three throwaway peers announce it too, re-announce it every second, and now and then
    /// disconnect and reconnect (a fresh connection, with no stalls counted against it). Each relay counted as having
    /// sent the header itself, so each needed two stalls of its own and a reconnect started again: the header stayed
    /// above our tip past the next producer's slot (10 s later) and came back after every reconnect. Now the header's
    /// own stalls count across peers: after <see cref="SyncPlannerOptions.StallsBeforeClaimLost"/> stalls on it with no
    /// delivery it is dropped and refused, whoever announces it, until <see cref="SyncPlannerOptions.ClaimProofTimeout"/>.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Plan_WithholderAndRelaysAnnounceTheHeaderAndReconnect_HeaderChainFallsWithinOneSlotAndStaysDown(bool freshIds)
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var withholder = FakeChain.Create("main", 11);
        harness.AddPeer("honest", FakeChain.Create("main", 10), masternode: true);
        var relays = new List<string> { "withholder", "relay-0", "relay-1", "relay-2" };
        foreach (var id in relays)
            harness.AddPeer(id, withholder, masternode: true);
        foreach (var id in relays)
            Assert.True(harness.Planner.OnHeaderAnnounced(id, withholder.LinkAt(11)));

        AssertFallsWithinOneSlotAndStaysDown(harness, second =>
        {
            ReconnectARelay(harness, relays, 1, second, withholder, freshIds);
            foreach (var id in relays)
                harness.Planner.OnHeaderAnnounced(id, withholder.LinkAt(11));
        });
    }

    /// <summary>
    /// Runs two minutes of 1 s rounds on a node at height 10 where nobody serves a block (<paramref name="eachSecond"/>
    /// announces and reconnects first): the header chain falls to the tip within one 10 s slot and is above it for less
    /// than 10 s in all, and nobody is reported.
    /// </summary>
    private static void AssertFallsWithinOneSlotAndStaysDown(SyncHarness harness, Action<int> eachSecond)
    {
        var start = harness.Time.GetUtcNow();
        TimeSpan? fell = null;
        int secondsAbove = 0;
        for (int second = 0; second < 120; second++)
        {
            eachSecond(second);
            harness.Round(r => harness.PeerChains[r.PeerId].HeadersAfter(r.Locator, r.MaxHeaders), _ => false);
            if (harness.Planner.GetStatus().HeaderHeight > 10)
                secondsAbove++;
            else if (fell is null)
                fell = harness.Time.GetUtcNow() - start;
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(fell is { } t && t < TimeSpan.FromSeconds(10), $"header chain above the tip for {(fell is { } f ? $"{f.TotalSeconds} s" : "the whole 2 minutes")}");
        Assert.True(secondsAbove < 10, $"header chain above the tip for {secondsAbove} s of 120");
        Assert.Equal(10, harness.Planner.HeaderHeight);
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// The other side of counting a header's stalls across peers: an honest producer announces its block with the header,
    /// and two hostile relays announce the same header and withhold the block. They serve other blocks fast, so they rank
    /// above the producer for block requests and win the request twice in a row. Two stalls by whoever was asked used to
    /// refuse the honest header (the node then waited for nothing, or built a fork). Now a header is refused only when
    /// every connected peer known to have it stalled on it (or more peers than two hostile relays did), and a peer that
    /// has not stalled on it is asked before one that has: the producer is asked third and delivers.
    /// </summary>
    [Fact]
    public void Plan_TwoHostileRelaysWinTheRequestTwice_HonestHeaderNotRefused()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var chain = FakeChain.Create("main", 11);
        harness.AddPeer("producer", chain, masternode: true, throughput: 10);
        harness.AddPeer("relay-a", chain, masternode: true, throughput: 100);
        harness.AddPeer("relay-b", chain, masternode: true, throughput: 100);
        Assert.True(harness.Planner.OnHeaderAnnounced("producer", chain.LinkAt(11)));
        var asked = new List<string>();
        for (int second = 0; second < 20; second++)
        {
            // The relays re-announce the header every second.
            harness.Planner.OnHeaderAnnounced("relay-a", chain.LinkAt(11));
            harness.Planner.OnHeaderAnnounced("relay-b", chain.LinkAt(11));
            var plan = harness.Round(r => chain.HeadersAfter(r.Locator, r.MaxHeaders), peer => peer == "producer");
            asked.AddRange(plan.BlockRequests.Select(r => r.PeerId));
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(["relay-a", "relay-b", "producer"], asked);
        Assert.Equal(11, harness.Chain.Height);
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// Two colluding producers in consecutive slots: the first announces its block's header late in its slot, the second
    /// builds on that block (it was given it) and announces its own header a second later, and both withhold their
    /// blocks; three relays re-announce both headers every second and reconnect now and then (same ids, or new ones).
    /// Only stalls on the top header were counted on the header, and every stall was on the first one (the second's
    /// block is asked of the same peers once the first arrives, or with it): the header chain stayed above our tip. Now a
    /// stall counts on the header of the lowest height stalled on, and refuses it when the heights stalled on run to the
    /// top (refused only when every peer that has it or claims that high, or four peers, stalled on it); a relay that
    /// reconnects while asked counts as a stall: both fall within one slot and stay down. (Without relays each producer
    /// loses its claim at its second stall, and the headers nobody else has are dropped: that case already held.)
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public void Plan_TwoWithholdersInConsecutiveSlotsWithRelays_HeaderChainFallsWithinOneSlotAndStaysDown(int relayCount, bool freshIds)
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var withheld = FakeChain.Create("main", 12);
        harness.AddPeer("honest", FakeChain.Create("main", 10), masternode: true);
        var relays = new List<string> { "first", "second" };
        relays.AddRange(Enumerable.Range(0, relayCount).Select(k => $"relay-{k}"));
        foreach (var id in relays)
            harness.AddPeer(id, withheld, masternode: true);

        AssertFallsWithinOneSlotAndStaysDown(harness, second =>
        {
            if (relayCount > 0)
                ReconnectARelay(harness, relays, 2, second, withheld, freshIds);
            // The first producer's header from the start, the second's from a second later; every relay sends both on.
            foreach (var id in relays)
            {
                if (id != "second")
                    harness.Planner.OnHeaderAnnounced(id, withheld.LinkAt(11));
                if (second >= 1 && id != "first")
                    harness.Planner.OnHeaderAnnounced(id, withheld.LinkAt(12));
            }
        });
    }

    /// <summary>
    /// The honest side of counting stalls below the top and of counting a peer that leaves with a block in flight: the
    /// producer of block 11 is slow (never in time), the producer of block 12 built on it and serves both, and a relay
    /// that has both (and ranks first, being the fastest) drops its connection whenever it has a request out and comes
    /// back. On main c189e3d leaving released its blocks with nothing counted, and it was asked first again at once, every
    /// round: the node stayed at 10 for good. Now leaving counts as a stall on the header and peers that stalled on a
    /// block are asked last: neither header is refused, the next producer is asked for block 11 after the first producer's
    /// stall and delivers, and the node connects both.
    /// </summary>
    [Fact]
    public void Plan_FirstOfTwoProducersSlowAndARelayLeavesWhenAsked_NeitherHeaderRefused()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var chain = FakeChain.Create("main", 12);
        harness.AddPeer("a-producer", FakeChain.Create("main", 11), masternode: true);
        harness.AddPeer("a-relay", chain, masternode: true, throughput: 100);
        harness.AddPeer("b-producer", chain, masternode: true);
        Assert.True(harness.Planner.OnHeaderAnnounced("a-producer", chain.LinkAt(11)));
        Assert.True(harness.Planner.OnHeaderAnnounced("a-relay", chain.LinkAt(11)));
        Assert.True(harness.Planner.OnHeaderAnnounced("b-producer", chain.LinkAt(12)));
        Assert.True(harness.Planner.OnHeaderAnnounced("a-relay", chain.LinkAt(12)));
        int left = 0;
        for (int second = 0; second < 20 && harness.Chain.Height < 12; second++)
        {
            var plan = harness.Round(r => harness.PeerChains[r.PeerId].HeadersAfter(r.Locator, r.MaxHeaders), peer => peer == "b-producer");
            if (plan.BlockRequests.Any(r => r.PeerId == "a-relay"))
            {
                left++;
                harness.Planner.OnPeerDisconnected("a-relay");
                harness.AddPeer("a-relay", chain, masternode: true, throughput: 100);
                harness.Planner.OnHeaderAnnounced("a-relay", chain.LinkAt(11));
                harness.Planner.OnHeaderAnnounced("a-relay", chain.LinkAt(12));
            }
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(12, harness.Chain.Height);
        Assert.True(left > 0, "the relay was never asked");
        Assert.Contains(harness.Stalls, s => s.PeerId == "a-producer");
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// A header refused after stalls is refused for <see cref="SyncPlannerOptions.ClaimProofTimeout"/> only, or until its
    /// block arrives after all (a late reply to a request that stalled): then it is adopted again when announced.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnHeaderAnnounced_RefusedHeader_AdoptedAgainAfterTheProofTimeoutOrWhenItsBlockArrives(bool delivered)
    {
        var options = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromMinutes(1) };
        var harness = new SyncHarness(FakeChain.Create("main", 10), options);
        var withholder = FakeChain.Create("main", 11);
        harness.AddPeer("withholder", withholder, masternode: true);
        harness.AddPeer("relay", withholder, masternode: true);
        Assert.True(harness.Planner.OnHeaderAnnounced("withholder", withholder.LinkAt(11)));
        Assert.True(harness.Planner.OnHeaderAnnounced("relay", withholder.LinkAt(11)));
        for (int second = 0; second < 10; second++)
        {
            harness.Round(r => withholder.HeadersAfter(r.Locator, r.MaxHeaders), _ => false);
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(10, harness.Planner.HeaderHeight);
        Assert.False(harness.Planner.OnHeaderAnnounced("relay", withholder.LinkAt(11)));
        Assert.False(harness.Planner.OnHeaderAnnounced("someone-else", withholder.LinkAt(11)));

        if (delivered)
            harness.Planner.OnBlocksReceived("withholder", [withholder.LinkAt(11)]);
        else
            harness.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(harness.Planner.OnHeaderAnnounced("relay", withholder.LinkAt(11)));
        Assert.Equal(11, harness.Planner.HeaderHeight);
    }

    /// <summary>
    /// The honest side of counting a header's stalls across peers: the producer is slow (its reply comes after the
    /// stall timeout) and a relay that has the block is asked next and delivers. Every delivery of the block counts, so
    /// the header is never refused: it is adopted again when announced, and the node connects it.
    /// </summary>
    [Fact]
    public void Plan_ProducerStallsAndARelayDelivers_HeaderNeverRefused()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var chain = FakeChain.Create("main", 10);
        harness.AddPeer("producer", chain, masternode: true);
        harness.AddPeer("relay", chain, masternode: true);
        for (int block = 0; block < 5; block++)
        {
            chain.Extend("main", 1);
            harness.AddPeer("producer", chain, masternode: true);
            harness.AddPeer("relay", chain, masternode: true);
            Assert.True(harness.Planner.OnHeaderAnnounced("producer", chain.LinkAt(chain.Height)));
            // The producer never answers in time; the relay announces the header a second later and answers its requests.
            for (int second = 0; second < 10; second++)
            {
                if (second == 1)
                    Assert.True(harness.Planner.OnHeaderAnnounced("relay", chain.LinkAt(chain.Height)));
                harness.Round(r => chain.HeadersAfter(r.Locator, r.MaxHeaders), peer => peer == "relay");
                harness.Time.Advance(TimeSpan.FromSeconds(1));
            }
            Assert.Equal(chain.Height, harness.Chain.Height);
        }
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// Stalls count in a row only on the same block and within <see cref="SyncPlannerOptions.ClaimProofTimeout"/>: an
    /// honest producer that stalled once on a block a relay then delivered, an hour ago, keeps its claim of its next
    /// block at that block's first stall (it used to lose it: its count never expired, so one stall was its second).
    /// </summary>
    [Fact]
    public void Plan_ProducerStalledOnceAnHourAgo_KeepsItsNextHeaderAtItsFirstStall()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10));
        var chain = FakeChain.Create("main", 11);
        harness.AddPeer("producer", chain, masternode: true);
        harness.AddPeer("relay", FakeChain.Create("main", 10), masternode: true);
        Assert.True(harness.Planner.OnHeaderAnnounced("producer", chain.LinkAt(11)));
        for (int second = 0; second < 10; second++)
        {
            if (second == 1)
            {
                harness.AddPeer("relay", chain, masternode: true);
                Assert.True(harness.Planner.OnHeaderAnnounced("relay", chain.LinkAt(11)));
            }
            harness.Round(r => chain.HeadersAfter(r.Locator, r.MaxHeaders), peer => peer == "relay");
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(11, harness.Chain.Height);
        Assert.Single(harness.Stalls, s => s.PeerId == "producer");

        harness.Time.Advance(TimeSpan.FromHours(1));
        chain.Extend("main", 1);
        harness.AddPeer("producer", chain, masternode: true);
        Assert.True(harness.Planner.OnHeaderAnnounced("producer", chain.LinkAt(12)));
        for (int second = 0; second < 4; second++)
        {
            harness.Round(r => chain.HeadersAfter(r.Locator, r.MaxHeaders), _ => false);
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(2, harness.Stalls.Count(s => s.PeerId == "producer"));
        Assert.Equal(12, harness.Planner.HeaderHeight); // kept: one stall on this block
    }

    [Fact]
    public void Constructor_StallsBeforeClaimLostZero_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SyncPlanner(FakeChain.Create("main", 1), new SyncPlannerOptions { StallsBeforeClaimLost = 0 }, TimeProvider.System));
        Assert.Equal("StallsBeforeClaimLost", error.ParamName);
    }

    /// <summary>
    /// The other side of the same rule: an honest peer that sent the headers itself and delivers every block late
    /// (after the stall timeout, so each request stalls) keeps its claim, because its late blocks arrive; the node
    /// catches up from it alone and the header chain never falls below its tip.
    /// </summary>
    [Fact]
    public void Plan_OnlyPeerDeliversEveryBlockLate_KeepsItsClaimAndTheNodeCatchesUp()
    {
        var options = new SyncPlannerOptions { BlocksPerRequest = 4, MaxBlocksInFlightPerPeer = 4 };
        var harness = new SyncHarness(FakeChain.Create("main", 10), options);
        var peerChain = FakeChain.Create("main", 40);
        harness.AddPeer("slow", peerChain);
        var pending = new List<(DateTimeOffset Due, BlockRequest Request)>();

        long lowestHeaderHeight = long.MaxValue;
        for (int second = 0; second < 300 && harness.Chain.Height < 40; second++)
        {
            var now = harness.Time.GetUtcNow();
            foreach (var due in pending.Where(p => p.Due <= now).ToList())
            {
                harness.Deliver(due.Request);
                pending.Remove(due);
            }
            harness.Connect();
            var plan = harness.Round(r => peerChain.HeadersAfter(r.Locator, r.MaxHeaders), _ => false);
            // Each request is answered 3 s later: after the 2 s stall timeout.
            pending.AddRange(plan.BlockRequests.Select(r => (now + TimeSpan.FromSeconds(3), r)));
            if (harness.Planner.HeaderHeight > 10)
                lowestHeaderHeight = Math.Min(lowestHeaderHeight, Math.Max(harness.Planner.HeaderHeight, harness.Chain.Height));
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(40, harness.Chain.Height);
        Assert.Equal(40, lowestHeaderHeight);
        Assert.NotEmpty(harness.Stalls);
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// A peer claims a height far above everyone's (handshake, pongs, block announcements of made-up tips) on a node
    /// that follows the chain: an honest producer announces a block with its header every 10 s, so headers extend our
    /// header chain every 10 s. The claim clock restarted on every such extension, so with a 5 min proof timeout the
    /// claim was never reported. It answers header requests with nothing, or with headers we already have (stopping
    /// short of its claim) and relays the honest producer's headers after we have them. Now other peers' headers
    /// do not restart its clock once it has been asked: it is reported once per proof timeout.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Plan_LiarClaimsFarAheadWhileAnnouncedHeadersExtendTheChain_ReportedOncePerProofTimeout(bool stopsShort, bool newTipEveryBlock)
    {
        var options = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromMinutes(2) };
        var harness = new SyncHarness(FakeChain.Create("main", 50), options);
        var honest = FakeChain.Create("main", 50);
        harness.AddPeer("producer", honest, masternode: true);
        long claim = 1_000_000;
        harness.Planner.UpdatePeer(new PeerSyncInfo("liar", claim, FakeChain.HashOf("made-up", claim)));

        IReadOnlyList<BlockLink>? Answer(HeaderRequest request)
        {
            if (request.PeerId != "liar")
                return honest.HeadersAfter(request.Locator, request.MaxHeaders);
            // Nothing, or the last few headers of our own chain: they link, prove nothing new.
            long top = harness.Chain.Height;
            return stopsShort ? Enumerable.Range(0, 5).Select(k => harness.Chain.LinkAt(top - 4 + k)).ToArray() : [];
        }

        for (int second = 1; second <= 7 * 60; second++)
        {
            if (second % 10 == 0)
            {
                honest.Extend("main", 1);
                harness.AddPeer("producer", honest, masternode: true);
                Assert.True(harness.Planner.OnHeaderAnnounced("producer", honest.LinkAt(honest.Height)));
                if (newTipEveryBlock)
                {
                    claim++;
                    harness.Planner.UpdatePeer(new PeerSyncInfo("liar", claim, FakeChain.HashOf("made-up", claim)));
                }
            }
            else if (stopsShort && second % 10 == 1)
            {
                // It relays the producer's header a round after the producer announced it.
                harness.Planner.OnHeaderAnnounced("liar", honest.LinkAt(honest.Height));
            }
            harness.Round(Answer, peer => peer == "producer");
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(50 + 42, harness.Chain.Height);
        var reports = harness.Misbehaviours.Where(m => m.Kind == MisbehaviourKind.UnbackedHeightClaim).ToList();
        Assert.All(reports, m => Assert.Equal("liar", m.PeerId));
        Assert.InRange(reports.Count, 3, 4); // at about 2, 4 and 6 minutes
        Assert.DoesNotContain(harness.Misbehaviours, m => m.PeerId == "producer");
    }

    /// <summary>
    /// The guarantee the claim clock keeps: during a long catch-up from three honest peers ahead, only two are asked
    /// for headers at a time (<see cref="SyncPlannerOptions.MaxHeaderRequestsInFlight"/>); the third is never asked, and
    /// the others' replies are often answered second (headers we had just taken from the first). None is reported,
    /// even with a proof timeout far shorter than the catch-up.
    /// </summary>
    [Fact]
    public void Plan_LongCatchUpFromThreePeers_NoPeerReportedForItsClaim()
    {
        var options = new SyncPlannerOptions
        {
            ClaimProofTimeout = TimeSpan.FromSeconds(30),
            MaxHeadersPerRequest = 100,
            InitialHeadersPerRequest = 100,
            MaxHeadersAhead = 100_000,
            DownloadWindow = 256,
        };
        var harness = new SyncHarness(FakeChain.Create("main", 0), options);
        var chain = FakeChain.Create("main", 30_000);
        foreach (var id in new[] { "a", "b", "c" })
            harness.AddPeer(id, chain);

        var asked = new HashSet<string>(StringComparer.Ordinal);
        int rounds = 0;
        while (harness.Chain.Height < 30_000 && rounds++ < 2_000)
        {
            var plan = harness.Step();
            asked.UnionWith(plan.HeaderRequests.Select(r => r.PeerId));
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(30_000, harness.Chain.Height);
        Assert.True(rounds > 60, $"the catch-up took {rounds} s, not longer than the proof timeout");
        Assert.Equal(["a", "b"], asked.Order().ToArray());
        Assert.Empty(harness.Misbehaviours);
    }
}
