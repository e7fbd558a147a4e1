namespace TimeCoin.Sync.Tests;

public class SyncPlannerTests
{
    private static readonly SyncPlannerOptions SmallBounds = new()
    {
        MaxBlocksInFlightPerPeer = 16,
        DownloadWindow = 64,
        BlocksPerRequest = 8,
    };

    /// <summary>Our chain at <paramref name="ours"/>, peers on the same chain; header sync done so blocks can be planned.</summary>
    private static SyncHarness WithHeadersKnown(long ours, long theirs, SyncPlannerOptions options, params (string Id, bool Priority, bool Masternode, double Throughput)[] peers)
    {
        // One header round trip brings the whole header chain, before any block is planned.
        int all = Math.Max(options.MaxHeadersPerRequest, (int)(theirs - ours) + 1);
        options = options with { MaxHeadersPerRequest = all, InitialHeadersPerRequest = all };
        var harness = new SyncHarness(FakeChain.Create("main", ours), options);
        var chain = FakeChain.Create("main", theirs);
        foreach (var peer in peers)
            harness.AddPeer(peer.Id, chain, peer.Priority, peer.Masternode, peer.Throughput);
        var first = harness.Planner.Plan();
        Assert.Empty(first.BlockRequests);
        foreach (var request in first.HeaderRequests)
            harness.Planner.OnHeadersReceived(request.PeerId, harness.PeerChains[request.PeerId].HeadersAfter(request.Locator, request.MaxHeaders));
        Assert.Equal(theirs, harness.Planner.HeaderHeight);
        return harness;
    }

    private static Dictionary<string, int> BlocksByPeer(IEnumerable<BlockRequest> requests) =>
        requests.GroupBy(r => r.PeerId).ToDictionary(g => g.Key, g => g.Sum(r => r.Hashes.Count));

    [Fact]
    public void Plan_PeerAhead_AsksHeadersFirstThenBlocksByHashAboveOurTip()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 500);
        harness.AddPeer("p1", peerChain);

        var first = harness.Planner.Plan();
        var headerRequest = Assert.Single(first.HeaderRequests);
        Assert.Empty(first.BlockRequests);
        Assert.Equal(harness.Chain.TipHash, headerRequest.Locator[0]);

        harness.Planner.OnHeadersReceived("p1", peerChain.HeadersAfter(headerRequest.Locator, headerRequest.MaxHeaders));
        var second = harness.Planner.Plan();

        Assert.Equal(11, second.BlockRequests[0].StartHeight);
        Assert.Equal(16, second.BlockRequests.Sum(r => r.Hashes.Count));
        foreach (var request in second.BlockRequests)
        {
            for (int i = 0; i < request.Hashes.Count; i++)
                Assert.Equal(peerChain.HashAtHeight(request.StartHeight + i), request.Hashes[i]);
        }
    }

    /// <summary>
    /// A new block announced with its (signed, checked) header that links to the top of what we know: the block is
    /// asked for at once, without a header round trip (BIP 130's idea; about 1.6 GetHeaders and Headers per block per
    /// node before).
    /// </summary>
    [Fact]
    public void OnHeaderAnnounced_HeaderExtendsOurTip_BlockRequestedWithoutAHeaderRequest()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 10);
        harness.AddPeer("p1", peerChain);
        Assert.Empty(harness.Planner.Plan().HeaderRequests);
        peerChain.Extend("main", 1);
        harness.AddPeer("p1", peerChain);

        bool adopted = harness.Planner.OnHeaderAnnounced("p1", peerChain.LinkAt(11));
        var plan = harness.Planner.Plan();

        Assert.True(adopted);
        Assert.Empty(plan.HeaderRequests);
        var request = Assert.Single(plan.BlockRequests);
        Assert.Equal(("p1", 11L), (request.PeerId, request.StartHeight));
        Assert.Equal([peerChain.HashAtHeight(11)!.Value], request.Hashes);
        Assert.Equal(11, harness.Planner.HeaderHeight);
    }

    /// <summary>A header that does not link to the top of what we know proves nothing here: the usual header request follows.</summary>
    [Fact]
    public void OnHeaderAnnounced_HeaderNotLinkingToOurTop_NotAdoptedAndHeadersAreAskedFor()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 13);
        harness.AddPeer("p1", peerChain);

        bool adopted = harness.Planner.OnHeaderAnnounced("p1", peerChain.LinkAt(13));
        var plan = harness.Planner.Plan();

        Assert.False(adopted);
        Assert.Equal(10, harness.Planner.HeaderHeight);
        Assert.Equal("p1", Assert.Single(plan.HeaderRequests).PeerId);
        Assert.Empty(plan.BlockRequests);
    }

    [Fact]
    public void OnHeaderAnnounced_UnknownPeer_NothingAdopted()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 11);

        Assert.False(harness.Planner.OnHeaderAnnounced("stranger", peerChain.LinkAt(11)));
        Assert.Equal(10, harness.Planner.HeaderHeight);
    }

    /// <summary>The header-lookahead bound holds for announced headers too: none is taken while enough wait for their blocks.</summary>
    [Fact]
    public void OnHeaderAnnounced_HeadersFarEnoughAhead_NotAdopted()
    {
        var options = SmallBounds with { MaxHeadersAhead = 20, DownloadWindow = 4, MaxBlocksInFlightPerPeer = 4, BlocksPerRequest = 4 };
        var harness = new SyncHarness(FakeChain.Create("main", 10), options);
        var peerChain = FakeChain.Create("main", 40);
        harness.AddPeer("p1", peerChain);
        var first = Assert.Single(harness.Planner.Plan().HeaderRequests);
        harness.Planner.OnHeadersReceived("p1", peerChain.HeadersAfter(first.Locator, first.MaxHeaders));
        Assert.Equal(40, harness.Planner.HeaderHeight);
        peerChain.Extend("main", 1);
        harness.AddPeer("p1", peerChain);

        Assert.False(harness.Planner.OnHeaderAnnounced("p1", peerChain.LinkAt(41)));
        Assert.Equal(40, harness.Planner.HeaderHeight);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(4, 4)]
    public void Step_NodeFiveHundredBlocksBehind_CatchesUpToPeerTip(int peerCount, int maxRounds)
    {
        var harness = new SyncHarness(FakeChain.Create("main", 1_000));
        var peerChain = FakeChain.Create("main", 1_500);
        for (int i = 0; i < peerCount; i++)
            harness.AddPeer($"p{i}", peerChain);

        int rounds = 0;
        while (harness.Chain.Height < 1_500 && rounds < 50)
        {
            harness.Step();
            rounds++;
        }

        Assert.Equal(peerChain.TipHash, harness.Chain.TipHash);
        Assert.InRange(rounds, 1, maxRounds);
        Assert.False(harness.Planner.GetStatus().IsSyncing);
        Assert.Empty(harness.Misbehaviours);
    }

    [Fact]
    public void Plan_WhitelistedPeerPresent_WhitelistedGetsLowestHeightsThenMasternodeThenOthers()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 40 },
            ("a-ordinary", false, false, 0.0), ("b-masternode", false, true, 0.0), ("c-whitelisted", true, false, 0.0));

        var plan = harness.Planner.Plan();

        var byPeer = BlocksByPeer(plan.BlockRequests);
        Assert.Equal(16, byPeer["c-whitelisted"]);
        Assert.Equal(16, byPeer["b-masternode"]);
        Assert.Equal(8, byPeer["a-ordinary"]); // what is left of the window
        Assert.Equal(1, plan.BlockRequests.Where(r => r.PeerId == "c-whitelisted").Min(r => r.StartHeight));
        Assert.Equal(17, plan.BlockRequests.Where(r => r.PeerId == "b-masternode").Min(r => r.StartHeight));
    }

    [Fact]
    public void Plan_WindowSmallerThanOnePeersBudget_OnlyWhitelistedPeerIsAsked()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 16 },
            ("a-ordinary", false, false, 0.0), ("z-whitelisted", true, false, 0.0));

        var plan = harness.Planner.Plan();

        Assert.All(plan.BlockRequests, r => Assert.Equal("z-whitelisted", r.PeerId));
        Assert.Equal(16, plan.BlockRequests.Sum(r => r.Hashes.Count));
    }

    [Fact]
    public void Plan_PeersWithDifferentThroughput_FasterPeerKeepsMoreInFlight()
    {
        var options = new SyncPlannerOptions { MaxBlocksInFlightPerPeer = 128, BlocksPerRequest = 16 };
        var harness = WithHeadersKnown(0, 10_000, options, ("fast", false, false, 400.0), ("slow", false, false, 50.0));

        var byPeer = BlocksByPeer(harness.Planner.Plan().BlockRequests);

        Assert.Equal(128, byPeer["fast"]);
        Assert.Equal(16, byPeer["slow"]); // 128 * 50/400
    }

    [Fact]
    public void Plan_RandomScenarios_NeverExceedsWindowOrPerPeerBoundAndStillCompletes()
    {
        for (int seed = 1; seed <= 120; seed++)
            RunRandomScenario(seed);
    }

    private static void RunRandomScenario(int seed)
    {
        var rng = new Random(seed);
        var options = new SyncPlannerOptions
        {
            MaxBlocksInFlightPerPeer = rng.Next(1, 40),
            DownloadWindow = rng.Next(1, 200),
            BlocksPerRequest = rng.Next(1, 20),
            MaxHeadersPerRequest = rng.Next(2, 300),
            ConnectBacklogThreshold = rng.Next(1, 300),
            MaxHeaderRequestsInFlight = rng.Next(1, 3),
        };
        long start = rng.Next(0, 20);
        long target = rng.Next(50, 1_500);
        var harness = new SyncHarness(FakeChain.Create("main", start), options);
        int peerCount = rng.Next(1, 7);
        var reliability = new Dictionary<string, double>();
        for (int i = 0; i < peerCount; i++)
        {
            string id = $"p{i}";
            long height = i == 0 ? target : rng.Next((int)start, (int)target + 1);
            harness.AddPeer(id, FakeChain.Create("main", height), rng.Next(4) == 0, rng.Next(3) == 0, rng.Next(3) == 0 ? 0 : rng.Next(1, 500));
            reliability[id] = rng.Next(4) == 0 ? 0 : rng.NextDouble();
        }

        var outstanding = new Dictionary<long, string>(); // our model of undelivered requests
        var pending = new List<BlockRequest>();
        void Drop(string peer)
        {
            foreach (var h in outstanding.Where(kv => kv.Value == peer).Select(kv => kv.Key).ToList())
                outstanding.Remove(h);
            pending.RemoveAll(r => r.PeerId == peer);
        }

        void CheckBounds(SyncPlan plan, string context)
        {
            long tip = harness.Chain.Height;
            foreach (var stall in plan.Stalls)
                Drop(stall.PeerId);
            foreach (var request in plan.BlockRequests)
            {
                for (int i = 0; i < request.Hashes.Count; i++)
                {
                    long h = request.StartHeight + i;
                    Assert.True(h > tip && h <= tip + options.DownloadWindow, $"{context}: height {h} outside window above {tip}");
                    Assert.False(outstanding.ContainsKey(h), $"{context}: height {h} requested twice");
                    outstanding[h] = request.PeerId;
                }
                pending.Add(request);
            }
            foreach (var group in outstanding.GroupBy(kv => kv.Value))
                Assert.True(group.Count() <= options.MaxBlocksInFlightPerPeer, $"{context}: {group.Key} has {group.Count()} in flight");
            Assert.True(outstanding.Count <= options.DownloadWindow, $"{context}: {outstanding.Count} in flight");
            var status = harness.Planner.GetStatus();
            Assert.True(outstanding.Count == status.BlocksInFlight, $"{context}: {outstanding.Count} vs {status.BlocksInFlight}");
        }

        for (int step = 0; step < 150; step++)
        {
            string context = $"seed {seed} step {step}";
            var plan = harness.Planner.Plan();
            CheckBounds(plan, context);
            foreach (var request in plan.HeaderRequests.Where(_ => rng.NextDouble() < 0.8))
                harness.Planner.OnHeadersReceived(request.PeerId, harness.PeerChains[request.PeerId].HeadersAfter(request.Locator, request.MaxHeaders));
            foreach (var request in pending.ToList())
            {
                if (rng.NextDouble() >= reliability[request.PeerId])
                    continue;
                pending.Remove(request);
                for (int i = 0; i < request.Hashes.Count; i++)
                {
                    if (outstanding.TryGetValue(request.StartHeight + i, out var owner) && owner == request.PeerId)
                        outstanding.Remove(request.StartHeight + i);
                }
                harness.Deliver(request);
            }
            var peers = harness.PeerChains.Keys.ToList();
            if (rng.NextDouble() < 0.03)
            {
                string failing = peers[rng.Next(peers.Count)];
                harness.Planner.OnRequestFailed(failing, "not found");
                Drop(failing);
            }
            if (peers.Count > 1 && rng.NextDouble() < 0.01)
            {
                string leaving = peers[1 + rng.Next(peers.Count - 1)];
                harness.Planner.OnPeerDisconnected(leaving);
                harness.PeerChains.Remove(leaving);
                Drop(leaving);
            }
            if (rng.NextDouble() < 0.7)
                harness.Connect();
            foreach (var h in outstanding.Keys.Where(h => h <= harness.Chain.Height).ToList())
                outstanding.Remove(h);
            harness.Time.Advance(TimeSpan.FromMilliseconds(rng.Next(0, 1_500)));
        }

        // Calm phase: every remaining peer answers; the node must reach the target without breaking a bound.
        // (A window of one block moves one block per round, so allow a round per block plus time for stalls to clear.)
        for (int step = 0; step < target + 200 && harness.Chain.Height < target; step++)
        {
            long tip = harness.Chain.Height;
            var plan = harness.Step();
            foreach (var request in plan.BlockRequests)
            {
                Assert.True(request.StartHeight > tip && request.EndHeight <= tip + options.DownloadWindow, $"seed {seed}: calm request outside window");
                Assert.True(request.Hashes.Count <= options.MaxBlocksInFlightPerPeer);
            }
            harness.Time.Advance(TimeSpan.FromSeconds(5));
        }
        var final = harness.Planner.GetStatus();
        Assert.True(harness.Chain.Height == target,
            $"seed {seed}: stuck at {harness.Chain.Height} of {target}; headers {final.HeaderHeight}, in flight {final.BlocksInFlight}, "
            + $"stall timeout {final.StallTimeout}, delivered waiting {harness.Delivered.Count} (lowest {(harness.Delivered.Count > 0 ? harness.Delivered.Keys.Min() : -1)}), "
            + $"peers {string.Join(",", harness.PeerChains.Select(p => p.Key + ":" + p.Value.Height))}");
        Assert.True(harness.Misbehaviours.Count == 0, $"seed {seed}: " + string.Join("; ", harness.Misbehaviours));
    }

    [Fact]
    public void Plan_PeerSilentPastStallTimeout_ReassignsItsBlocksToAnotherPeer()
    {
        var options = SmallBounds with { DownloadWindow = 32 };
        var harness = WithHeadersKnown(0, 1_000, options, ("silent", true, false, 0.0), ("working", false, false, 0.0));
        var first = harness.Planner.Plan();
        Assert.Equal(16, BlocksByPeer(first.BlockRequests)["silent"]);
        foreach (var request in first.BlockRequests.Where(r => r.PeerId == "working"))
            harness.Deliver(request); // blocks 17..32 arrive; 1..16 never do

        harness.Time.Advance(options.BaseStallTimeout - TimeSpan.FromMilliseconds(1));
        var early = harness.Planner.Plan();
        Assert.Empty(early.Stalls);
        Assert.Empty(early.BlockRequests); // window is full: 1..16 in flight, 17..32 waiting to connect

        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        var late = harness.Planner.Plan();

        var stall = Assert.Single(late.Stalls);
        Assert.Equal("silent", stall.PeerId);
        Assert.Equal(Enumerable.Range(1, 16).Select(h => (long)h), stall.Heights);
        Assert.All(late.BlockRequests, r => Assert.Equal("working", r.PeerId));
        Assert.Equal(1, late.BlockRequests.Min(r => r.StartHeight));
        Assert.Equal(16, late.BlockRequests.Sum(r => r.Hashes.Count));
        Assert.Equal(options.BaseStallTimeout, harness.Planner.StallTimeout); // one peer stalled: its fault, no growth
    }

    [Fact]
    public void Plan_PeerDeliveringSlowlyButSteadily_IsNotTreatedAsStalled()
    {
        var options = SmallBounds with { DownloadWindow = 1_000, BlocksPerRequest = 1 };
        var harness = WithHeadersKnown(0, 1_000, options, ("steady", false, false, 0.0));
        var requests = harness.Planner.Plan().BlockRequests.ToList();
        Assert.Equal(16, requests.Count);

        // One block per second: every request is older than the 2 s stall timeout, but the peer keeps answering.
        for (int i = 0; i < 10; i++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(1));
            harness.Deliver(requests[i]);
            Assert.Empty(harness.Planner.Plan().Stalls);
        }
    }

    [Fact]
    public void Plan_SeveralPeersStallAtOnce_DoublesStallTimeoutInsteadOfCuttingThem()
    {
        var options = SmallBounds with { DownloadWindow = 1_000 };
        var harness = WithHeadersKnown(0, 1_000, options, ("a", false, false, 0.0), ("b", false, false, 0.0), ("c", false, false, 0.0));
        harness.Planner.Plan();

        harness.Time.Advance(options.BaseStallTimeout);
        var plan = harness.Planner.Plan();
        Assert.Empty(plan.Stalls);
        Assert.Equal(options.BaseStallTimeout * 2, harness.Planner.StallTimeout);
        Assert.Equal(48, harness.Planner.GetStatus().BlocksInFlight); // nobody lost their requests

        harness.Time.Advance(options.BaseStallTimeout * 2);
        Assert.Empty(harness.Planner.Plan().Stalls);
        Assert.Equal(options.BaseStallTimeout * 4, harness.Planner.StallTimeout);
    }

    [Fact]
    public void Plan_SlowSideForever_StallTimeoutStopsAtCapThenReassigns()
    {
        var options = SmallBounds with { DownloadWindow = 1_000 };
        var harness = WithHeadersKnown(0, 1_000, options, ("a", false, false, 0.0), ("b", false, false, 0.0));
        harness.Planner.Plan();

        var stalls = new List<StalledRequest>();
        for (int i = 0; i < 20 && stalls.Count == 0; i++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(70));
            stalls.AddRange(harness.Planner.Plan().Stalls);
            Assert.True(harness.Planner.StallTimeout <= options.MaxStallTimeout);
        }

        Assert.Equal(options.MaxStallTimeout, harness.Planner.StallTimeout);
        Assert.Equal(["a", "b"], stalls.Select(s => s.PeerId).Order().ToArray());
    }

    [Fact]
    public void OnBlocksReceived_OnTimeDeliveries_DecayStallTimeoutBackToBase()
    {
        var options = SmallBounds with { DownloadWindow = 1_000, BlocksPerRequest = 1 };
        var harness = WithHeadersKnown(0, 1_000, options, ("a", false, false, 0.0), ("b", false, false, 0.0));
        var outstanding = harness.Planner.Plan().BlockRequests.ToList();
        harness.Time.Advance(options.BaseStallTimeout);
        harness.Planner.Plan();
        harness.Time.Advance(options.BaseStallTimeout * 2);
        harness.Planner.Plan();
        var grown = harness.Planner.StallTimeout;
        Assert.Equal(options.BaseStallTimeout * 4, grown);

        var previous = grown;
        for (int round = 0; round < 3; round++)
        {
            foreach (var request in outstanding)
            {
                harness.Deliver(request);
                Assert.True(harness.Planner.StallTimeout <= previous);
                previous = harness.Planner.StallTimeout;
            }
            harness.Connect();
            outstanding = harness.Planner.Plan().BlockRequests.ToList();
        }

        Assert.Equal(options.BaseStallTimeout, harness.Planner.StallTimeout);
    }

    [Fact]
    public void Plan_ConnectQueueIsTheBottleneck_StallBlamedOnUsAndTimeoutDoubles()
    {
        var options = SmallBounds with { DownloadWindow = 1_000, ConnectBacklogThreshold = 16 };
        var harness = WithHeadersKnown(0, 1_000, options, ("a", false, false, 0.0), ("b", false, false, 0.0));
        var plan = harness.Planner.Plan();
        // b delivers everything, a nothing, and we do not connect: 16 delivered blocks wait in our queue.
        foreach (var request in plan.BlockRequests.Where(r => r.PeerId == "b"))
            harness.Deliver(request);

        harness.Time.Advance(options.BaseStallTimeout);
        var next = harness.Planner.Plan();

        Assert.Empty(next.Stalls);
        Assert.Equal(options.BaseStallTimeout * 2, harness.Planner.StallTimeout);
    }

    [Fact]
    public void OnHeadersReceived_HeadersThatDoNotLink_ReportsMisbehaviourAndAdoptsNothing()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var liar = FakeChain.Create("other", 300);
        harness.AddPeer("liar", liar);
        harness.Planner.Plan();

        harness.Planner.OnHeadersReceived("liar", Enumerable.Range(50, 100).Select(h => liar.LinkAt(h)).ToArray());
        var plan = harness.Planner.Plan();

        var report = Assert.Single(plan.Misbehaviours);
        Assert.Equal(("liar", MisbehaviourKind.NonLinkingChain), (report.PeerId, report.Kind));
        Assert.Empty(plan.BlockRequests);
        Assert.Equal(10, harness.Planner.HeaderHeight);
    }

    [Fact]
    public void OnHeadersReceived_ChainBrokenInTheMiddle_ReportsMisbehaviour()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peer = FakeChain.Create("main", 300);
        harness.AddPeer("p", peer);
        var request = Assert.Single(harness.Planner.Plan().HeaderRequests);
        var headers = peer.HeadersAfter(request.Locator, request.MaxHeaders).ToArray();
        headers[100] = headers[100] with { PreviousHash = FakeChain.HashOf("nowhere", 1) };

        harness.Planner.OnHeadersReceived("p", headers);

        Assert.Equal(MisbehaviourKind.NonLinkingChain, Assert.Single(harness.Planner.Plan().Misbehaviours).Kind);
    }

    [Fact]
    public void OnBlocksReceived_BlockOtherThanRequested_ReportsPeerAndRequestsItElsewhere()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 32 }, ("bad", true, false, 0.0), ("good", false, false, 0.0));
        var plan = harness.Planner.Plan();
        var fromBad = plan.BlockRequests.First(r => r.PeerId == "bad");
        foreach (var request in plan.BlockRequests.Where(r => r.PeerId == "good"))
            harness.Deliver(request);

        var forged = new BlockLink(fromBad.StartHeight, FakeChain.HashOf("forged", fromBad.StartHeight), FakeChain.Genesis);
        harness.Planner.OnBlocksReceived("bad", [forged]);
        var next = harness.Planner.Plan();

        var report = Assert.Single(next.Misbehaviours);
        Assert.Equal(("bad", MisbehaviourKind.UnexpectedBlock), (report.PeerId, report.Kind));
        Assert.Contains(next.BlockRequests, r => r.PeerId == "good" && r.StartHeight == fromBad.StartHeight);
    }

    [Fact]
    public void OnBlockInvalid_InvalidBlock_ReportsSenderAndRequestsItFromAnotherPeer()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 32 }, ("bad", true, false, 0.0), ("good", false, false, 0.0));
        var plan = harness.Planner.Plan();
        foreach (var request in plan.BlockRequests)
            harness.Deliver(request);

        harness.Planner.OnBlockInvalid("bad", harness.Delivered[1], "merkle root mismatch");
        var next = harness.Planner.Plan();

        var report = Assert.Single(next.Misbehaviours);
        Assert.Equal(("bad", MisbehaviourKind.InvalidBlock), (report.PeerId, report.Kind));
        Assert.Contains("merkle root mismatch", report.Detail);
        Assert.Contains(next.BlockRequests, r => r.PeerId == "good" && r.StartHeight == 1);
    }

    [Fact]
    public void OnPeerDisconnected_PeerWithBlocksInFlight_ItsBlocksGoToAnotherPeer()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 32 }, ("leaving", true, false, 0.0), ("staying", false, false, 0.0));
        var plan = harness.Planner.Plan();
        foreach (var request in plan.BlockRequests.Where(r => r.PeerId == "staying"))
            harness.Deliver(request);

        harness.Planner.OnPeerDisconnected("leaving");
        var next = harness.Planner.Plan();

        Assert.Equal(Enumerable.Range(1, 16).Select(h => (long)h), next.BlockRequests.SelectMany(r => Enumerable.Range((int)r.StartHeight, r.Hashes.Count)).Select(h => (long)h));
        Assert.All(next.BlockRequests, r => Assert.Equal("staying", r.PeerId));
    }

    /// <summary>
    /// Headers adopted from an announcement whose only announcer then leaves: nobody connected can serve those blocks,
    /// so the header chain above our tip no longer counts (the producer must not wait for blocks nobody can deliver).
    /// </summary>
    [Fact]
    public void OnPeerDisconnected_LastPeerWithHeadersAboveTheTipGone_HeaderHeightFallsToTheTip()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 10);
        harness.AddPeer("announcer", peerChain);
        harness.AddPeer("level", FakeChain.Create("main", 10));
        peerChain.Extend("main", 1);
        harness.AddPeer("announcer", peerChain);
        Assert.True(harness.Planner.OnHeaderAnnounced("announcer", peerChain.LinkAt(11)));
        Assert.Equal(11, harness.Planner.GetStatus().HeaderHeight);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Planner.OnPeerDisconnected("announcer");
        var status = harness.Planner.GetStatus();
        var plan = harness.Planner.Plan();

        Assert.Equal(10, harness.Planner.HeaderHeight);
        Assert.Equal((10L, 10L, false), (status.HeaderHeight, status.BestHeight, status.IsSyncing));
        Assert.Empty(plan.BlockRequests);
        Assert.Empty(plan.HeaderRequests);
    }

    /// <summary>
    /// A peer whose announced tip is a block on our header chain counts as having it; when it is asked for the block
    /// and never serves it, it loses that claim at the stall, and with nobody else having the block the header chain
    /// falls back to our tip (block production waits while the header chain or a peer's proven height is above our tip).
    /// </summary>
    [Fact]
    public void DetectStalls_OnlyPeerClaimingTheBlockNeverServesIt_ClaimLostAndHeaderChainFallsToTheTip()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 11);
        harness.AddPeer("announcer", peerChain);
        harness.AddPeer("claimer", peerChain); // announces the same tip, never serves
        Assert.True(harness.Planner.OnHeaderAnnounced("announcer", peerChain.LinkAt(11)));
        harness.Planner.OnPeerDisconnected("announcer");
        var plan = harness.Planner.Plan();
        Assert.Equal(("claimer", 11L), (Assert.Single(plan.BlockRequests).PeerId, plan.BlockRequests[0].StartHeight));
        Assert.Equal((11L, 11L), (harness.Planner.GetStatus().HeaderHeight, harness.Planner.GetStatus().BestHeight));

        harness.Time.Advance(harness.Planner.StallTimeout);
        var afterStall = harness.Planner.Plan();
        var status = harness.Planner.GetStatus();

        Assert.Equal("claimer", Assert.Single(afterStall.Stalls).PeerId);
        Assert.Equal((10L, 10L, 10L), (harness.Planner.HeaderHeight, status.HeaderHeight, status.BestHeight));
        Assert.Empty(afterStall.BlockRequests);
        // Its claim stays lost while it rests and after: the same tip brings no request and no header back.
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        harness.AddPeer("claimer", peerChain);
        var later = harness.Planner.Plan();
        foreach (var request in later.HeaderRequests)
            harness.Planner.OnHeadersReceived(request.PeerId, peerChain.HeadersAfter(request.Locator, request.MaxHeaders));
        Assert.Empty(later.BlockRequests);
        Assert.Empty(harness.Planner.Plan().BlockRequests);
        Assert.Equal(10L, harness.Planner.GetStatus().BestHeight);
        Assert.Equal(10L, harness.Planner.HeaderHeight);
    }

    /// <summary>A stalled claim is lost for the claim-proof timeout only: then the peer is asked again and can serve.</summary>
    [Fact]
    public void DetectStalls_ClaimLost_PeerAskedAgainAfterTheClaimProofTimeout()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds with { ClaimProofTimeout = TimeSpan.FromMinutes(1) });
        var peerChain = FakeChain.Create("main", 11);
        harness.AddPeer("announcer", peerChain);
        harness.AddPeer("slow", peerChain);
        Assert.True(harness.Planner.OnHeaderAnnounced("announcer", peerChain.LinkAt(11)));
        harness.Planner.OnPeerDisconnected("announcer");
        Assert.Equal("slow", Assert.Single(harness.Planner.Plan().BlockRequests).PeerId);
        harness.Time.Advance(harness.Planner.StallTimeout);
        Assert.Single(harness.Planner.Plan().Stalls);
        Assert.Equal(10L, harness.Planner.HeaderHeight);

        harness.Time.Advance(TimeSpan.FromMinutes(1));
        harness.Step();
        harness.Step();

        Assert.Equal(11L, harness.Chain.Height);
    }

    /// <summary>
    /// The only peer that has a block sends it invalid: it loses its claim of it, and the header chain falls back to our
    /// tip instead of waiting for a valid copy nobody connected has.
    /// </summary>
    [Fact]
    public void OnBlockInvalid_NoOtherPeerHasTheBlock_HeaderChainFallsToTheTip()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 11);
        harness.AddPeer("bad", peerChain);
        Assert.True(harness.Planner.OnHeaderAnnounced("bad", peerChain.LinkAt(11)));
        harness.Deliver(Assert.Single(harness.Planner.Plan().BlockRequests));

        harness.Planner.OnBlockInvalid("bad", peerChain.LinkAt(11), "invalid transaction");
        var status = harness.Planner.GetStatus();
        var plan = harness.Planner.Plan();

        Assert.Equal((10L, 10L, 10L), (harness.Planner.HeaderHeight, status.HeaderHeight, status.BestHeight));
        Assert.Empty(plan.BlockRequests);
        Assert.Equal(MisbehaviourKind.InvalidBlock, Assert.Single(plan.Misbehaviours).Kind);
    }

    /// <summary>Headers from a header reply: while another connected peer is known to have them they stay, and its blocks are asked of it.</summary>
    [Fact]
    public void OnPeerDisconnected_AnotherPeerHasTheHeaders_HeaderChainKeptAndBlocksAskedOfIt()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 10), SmallBounds);
        var peerChain = FakeChain.Create("main", 14);
        harness.AddPeer("leaving", peerChain);
        var request = Assert.Single(harness.Planner.Plan().HeaderRequests);
        harness.Planner.OnHeadersReceived(request.PeerId, peerChain.HeadersAfter(request.Locator, request.MaxHeaders));
        harness.AddPeer("staying", FakeChain.Create("main", 12));

        harness.Planner.OnPeerDisconnected("leaving");
        var plan = harness.Planner.Plan();

        Assert.Equal(12, harness.Planner.HeaderHeight);
        Assert.Equal(12, harness.Planner.GetStatus().BestHeight);
        Assert.All(plan.BlockRequests, r => Assert.Equal("staying", r.PeerId));
        Assert.Equal([11L, 12L], plan.BlockRequests.SelectMany(r => Enumerable.Range((int)r.StartHeight, r.Hashes.Count)).Select(h => (long)h));
    }

    [Fact]
    public void Step_PeerOnLongerForkBelowOurTip_ResolvesForkSwitchesAndCatchesUp()
    {
        var ours = FakeChain.Create("a", 300);
        var harness = new SyncHarness(ours);
        var peer = ours.Fork(250, "b", 400);
        harness.AddPeer("forked", peer);

        for (int i = 0; i < 20 && harness.Chain.TipHash != peer.TipHash; i++)
            harness.Step();

        Assert.Equal(peer.TipHash, harness.Chain.TipHash);
        var fork = Assert.Single(harness.Planner.GetStatus().ForkResolutions);
        Assert.Equal(ForkResolutionState.Switch, fork.State);
        Assert.Equal(250, fork.AncestorHeight);
        Assert.Empty(harness.Misbehaviours);
    }

    [Fact]
    public void Step_EqualHeightForkBetweenTwoPlanners_BothConvergeOnLowerTip()
    {
        var common = FakeChain.Create("common", 100);
        // Pick branch names so that each order of tip hashes is exercised.
        foreach (var (x, y) in new[] { ("x1", "y1"), ("y1", "x1"), ("x2", "y2"), ("y2", "x2") })
        {
            var nodeA = new SyncHarness(common.Fork(100, x, 120));
            var nodeB = new SyncHarness(common.Fork(100, y, 120));
            var expected = nodeA.Chain.TipHash < nodeB.Chain.TipHash ? nodeA.Chain.TipHash : nodeB.Chain.TipHash;
            nodeA.AddPeer("B", common.Fork(100, y, 120));
            nodeB.AddPeer("A", common.Fork(100, x, 120));

            for (int i = 0; i < 10; i++)
            {
                nodeA.Step();
                nodeB.Step();
            }

            Assert.Equal(expected, nodeA.Chain.TipHash);
            Assert.Equal(expected, nodeB.Chain.TipHash);
        }
    }

    [Fact]
    public void Step_OrdinaryPeerForkTooDeep_GivesUpThenRetriesAfterGiveUpTimeout()
    {
        var ours = FakeChain.Create("a", 2_200);
        var options = new SyncPlannerOptions();
        var harness = new SyncHarness(ours, options);
        var peer = ours.Fork(100, "b", 2_300); // 2,100 deep: beyond 2,000
        harness.AddPeer("deep", peer);

        for (int i = 0; i < 5; i++)
            harness.Step();
        var status = Assert.Single(harness.Planner.GetStatus().ForkResolutions);
        Assert.Equal(ForkResolutionState.GaveUp, status.State);
        Assert.Contains("2100 blocks deep", status.LastError);
        int asked = harness.HeaderRequestsSent;

        harness.Time.Advance(options.ForkResolution.GiveUpTimeout - TimeSpan.FromSeconds(1));
        harness.Step();
        Assert.Equal(asked, harness.HeaderRequestsSent); // resting until the give-up timeout

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Step();
        Assert.Equal(asked + 1, harness.HeaderRequestsSent); // tried again (and gives up again: still too deep)
        Assert.Equal(ForkResolutionState.GaveUp, harness.Planner.GetStatus().ForkResolutions[0].State);
        Assert.Equal(2_200, harness.Chain.Height);
    }

    [Fact]
    public void GetStatus_WhileDownloading_ReportsBestPeerInFlightAndStallTimeout()
    {
        var harness = WithHeadersKnown(0, 1_000, SmallBounds with { DownloadWindow = 24 }, ("a", true, false, 0.0), ("b", false, false, 0.0));
        harness.Planner.UpdatePeer(new PeerSyncInfo("c", 900, FakeChain.HashOf("main", 900)));
        harness.Planner.Plan();

        var status = harness.Planner.GetStatus();

        Assert.Equal(0, status.Height);
        Assert.Equal(1_000, status.HeaderHeight);
        Assert.Equal("a", status.BestPeerId);
        Assert.Equal(1_000, status.BestHeight);
        Assert.True(status.IsSyncing);
        Assert.Equal(24, status.BlocksInFlight);
        Assert.Equal(16, status.BlocksInFlightPerPeer["a"]);
        Assert.Equal(8, status.BlocksInFlightPerPeer["b"]);
        Assert.Equal(SmallBounds.BaseStallTimeout, status.StallTimeout);
    }

    [Fact]
    public void GetStatus_CaughtUp_NotSyncing()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 50));
        harness.AddPeer("p", FakeChain.Create("main", 50));

        harness.Step();
        var status = harness.Planner.GetStatus();

        Assert.False(status.IsSyncing);
        Assert.Equal(0, status.BlocksInFlight);
        Assert.Empty(harness.Planner.Plan().HeaderRequests); // its tip is ours: nothing to ask
    }

    [Fact]
    public void Constructor_OptionOutOfRange_ThrowsNamingTheOption()
    {
        var chain = FakeChain.Create("main", 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SyncPlanner(chain, new SyncPlannerOptions { DownloadWindow = 0 }, TimeProvider.System));
        Assert.Equal("DownloadWindow", error.ParamName);
    }
}

/// <summary>Claimed heights are believed only when headers prove them (issue 9, finding 1).</summary>
public class SyncPlannerClaimTests
{
    private static readonly Core.Crypto.Hash256 Unknown = FakeChain.HashOf("nowhere", 7);

    [Fact]
    public void GetStatus_PeerClaimsAbsurdHeightWithoutHeaders_BestHeightStaysHeaderVerified()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 50));
        harness.AddPeer("honest", FakeChain.Create("main", 50));
        harness.Planner.UpdatePeer(new PeerSyncInfo("liar", long.MaxValue, Unknown));

        harness.Planner.Plan();
        var status = harness.Planner.GetStatus();

        Assert.Equal(50, status.BestHeight);
        Assert.False(status.IsSyncing);
        Assert.NotEqual("liar", status.BestPeerId);
    }

    [Fact]
    public void GetStatus_PeerAheadProvesHeaders_BestHeightFollowsTheHeaders()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 50));
        var ahead = FakeChain.Create("main", 80);
        harness.AddPeer("ahead", ahead);

        var plan = harness.Planner.Plan();
        var request = Assert.Single(plan.HeaderRequests);
        Assert.Equal(50, harness.Planner.GetStatus().BestHeight); // claimed, not yet proved
        harness.Planner.OnHeadersReceived("ahead", ahead.HeadersAfter(request.Locator, request.MaxHeaders));

        var status = harness.Planner.GetStatus();
        Assert.Equal(80, status.BestHeight);
        Assert.Equal("ahead", status.BestPeerId);
        Assert.True(status.IsSyncing);
    }

    [Fact]
    public void Plan_ClaimNotBackedByHeadersWithinTheProofTimeout_ReportedOncePerTimeout()
    {
        var options = new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromMinutes(2) };
        var harness = new SyncHarness(FakeChain.Create("main", 50), options);
        harness.Planner.UpdatePeer(new PeerSyncInfo("liar", 1_000_000, Unknown));

        var first = harness.Planner.Plan();
        Assert.Single(first.HeaderRequests); // asked to prove it
        harness.Planner.OnHeadersReceived("liar", []); // and it has nothing
        harness.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.DoesNotContain(harness.Planner.Plan().Misbehaviours, m => m.Kind == MisbehaviourKind.UnbackedHeightClaim);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var reported = harness.Planner.Plan().Misbehaviours.Where(m => m.Kind == MisbehaviourKind.UnbackedHeightClaim).ToList();
        var again = harness.Planner.Plan().Misbehaviours;

        Assert.Equal("liar", Assert.Single(reported).PeerId);
        Assert.DoesNotContain(again, m => m.Kind == MisbehaviourKind.UnbackedHeightClaim);
    }

    [Fact]
    public void Plan_HonestPeerAheadAnswersHeaders_NeverReportedForItsClaim()
    {
        var harness = new SyncHarness(FakeChain.Create("main", 50), new SyncPlannerOptions { ClaimProofTimeout = TimeSpan.FromSeconds(30) });
        harness.AddPeer("honest", FakeChain.Create("main", 3_000));

        for (int i = 0; i < 40; i++)
        {
            harness.Step();
            harness.Time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.DoesNotContain(harness.Misbehaviours, m => m.Kind == MisbehaviourKind.UnbackedHeightClaim);
        Assert.Equal(3_000, harness.Chain.Height);
    }

    [Fact]
    public void Plan_FreshNodeFarBehind_FirstHeaderRequestIsSmallThenDoublesWhileBlocksAreRequested()
    {
        var options = new SyncPlannerOptions { InitialHeadersPerRequest = 250, MaxHeadersPerRequest = 2_000, MaxHeadersAhead = 100_000 };
        var harness = new SyncHarness(FakeChain.Create("main", 0), options);
        var peerChain = FakeChain.Create("main", 10_000);
        harness.AddPeer("p1", peerChain);

        var asked = new List<int>();
        var plan = harness.Planner.Plan();
        for (int i = 0; i < 5; i++)
        {
            var request = Assert.Single(plan.HeaderRequests);
            asked.Add(request.MaxHeaders);
            harness.Planner.OnHeadersReceived("p1", peerChain.HeadersAfter(request.Locator, request.MaxHeaders));
            plan = harness.Planner.Plan();
            if (i == 0)
            {
                // The first blocks go out beside the second header request, after only 250 headers.
                Assert.Equal(1, plan.BlockRequests[0].StartHeight);
            }
        }

        Assert.Equal([250, 500, 1_500, 2_000, 2_000], asked); // twice what is known ahead, at most the maximum
        Assert.Equal(6_250, harness.Planner.HeaderHeight);
    }

    [Fact]
    public void Plan_HeaderChainMaxHeadersAheadOfOurChain_AsksForMoreOnlyAfterBlocksConnect()
    {
        var options = new SyncPlannerOptions { InitialHeadersPerRequest = 100, MaxHeadersPerRequest = 400, MaxHeadersAhead = 500, DownloadWindow = 200 };
        var harness = new SyncHarness(FakeChain.Create("main", 0), options);
        var peerChain = FakeChain.Create("main", 5_000);
        harness.AddPeer("p1", peerChain);

        // Answer every header request, deliver no block: the header chain stops growing once 500 headers wait above the
        // blocks in flight (at most the download window + 500 + one request above our chain).
        for (int round = 0; round < 10; round++)
        {
            foreach (var request in harness.Planner.Plan().HeaderRequests)
                harness.Planner.OnHeadersReceived("p1", peerChain.HeadersAfter(request.Locator, request.MaxHeaders));
        }
        long stoppedAt = harness.Planner.HeaderHeight;
        Assert.InRange(stoppedAt, 500, 200 + 500 + 400);
        Assert.Empty(harness.Planner.Plan().HeaderRequests);

        // Blocks connect (the undelivered first requests stall and are asked again): headers are asked for again, and
        // sync reaches the peer's tip.
        for (int round = 0; round < 200 && harness.Chain.Height < 5_000; round++)
        {
            harness.Step();
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(5_000, harness.Chain.Height);
        Assert.Equal(peerChain.TipHash, harness.Chain.TipHash);
        Assert.Empty(harness.Misbehaviours);
    }

    /// <summary>
    /// Two header requests in flight were each judged against the header chain when their reply came: the second
    /// reply, answered from the header top the first one had just raised, stacked on it, and the header chain ran one
    /// reply past the bound docs/sync.md states (download window + <see cref="SyncPlannerOptions.MaxHeadersAhead"/> +
    /// one reply above our chain). Now the part of a reply above that bound is not taken; it is asked for again when
    /// blocks make room.
    /// </summary>
    [Fact]
    public void OnHeadersReceived_TwoRepliesStackOnEachOther_HeaderChainStaysWithinTheStatedBound()
    {
        var options = new SyncPlannerOptions { InitialHeadersPerRequest = 50, MaxHeadersPerRequest = 400, MaxHeadersAhead = 500, DownloadWindow = 200 };
        var harness = new SyncHarness(FakeChain.Create("main", 0), options);
        var peerChain = FakeChain.Create("main", 5_000);
        harness.AddPeer("p1", peerChain);
        harness.AddPeer("p2", peerChain);

        // Deliver no block. Each round both peers are asked; the first answers from the request's locator, the second
        // from the header top as it is when its reply is read (after the first reply raised it).
        long highest = 0;
        for (int round = 0; round < 10; round++)
        {
            foreach (var request in harness.Planner.Plan().HeaderRequests)
            {
                IReadOnlyList<TimeCoin.Core.Crypto.Hash256> from = request.PeerId == "p1" ? request.Locator : [peerChain.HashAtHeight(harness.Planner.HeaderHeight)!.Value];
                harness.Planner.OnHeadersReceived(request.PeerId, peerChain.HeadersAfter(from, request.MaxHeaders));
                highest = Math.Max(highest, harness.Planner.HeaderHeight);
            }
        }
        Assert.InRange(highest, 500, 200 + 500 + 400);

        // The headers left out are asked for again: sync still reaches the peers' tip, and nobody misbehaved.
        for (int round = 0; round < 200 && harness.Chain.Height < 5_000; round++)
        {
            harness.Step();
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(5_000, harness.Chain.Height);
        Assert.Empty(harness.Misbehaviours);
    }

    [Fact]
    public void Plan_HeadersPausedAheadOfOurChainPastTheProofTimeout_ClaimNotReported()
    {
        var options = new SyncPlannerOptions
        {
            InitialHeadersPerRequest = 100, MaxHeadersPerRequest = 400, MaxHeadersAhead = 500, ClaimProofTimeout = TimeSpan.FromMinutes(2),
        };
        var harness = new SyncHarness(FakeChain.Create("main", 0), options);
        var peerChain = FakeChain.Create("main", 5_000);
        harness.AddPeer("p1", peerChain);
        for (int round = 0; round < 10; round++)
        {
            foreach (var request in harness.Planner.Plan().HeaderRequests)
                harness.Planner.OnHeadersReceived("p1", peerChain.HeadersAfter(request.Locator, request.MaxHeaders));
        }

        // Our own blocks do not connect for longer than the proof timeout (a slow disk): we are not asking the peer
        // for headers, so its claim of 5,000 is not its fault.
        var misbehaviours = new List<PeerMisbehaviour>();
        for (int i = 0; i < 6; i++)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(1));
            misbehaviours.AddRange(harness.Planner.Plan().Misbehaviours);
        }

        Assert.DoesNotContain(misbehaviours, m => m.Kind == MisbehaviourKind.UnbackedHeightClaim);
    }
}
