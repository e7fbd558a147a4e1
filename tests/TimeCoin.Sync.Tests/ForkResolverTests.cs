using Microsoft.Extensions.Time.Testing;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Sync.Tests;

public class ForkResolverTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ForkResolverOptions _options = new();

    /// <summary>Answers every request of the resolver from <paramref name="peer"/> until it stops; returns header round trips before the branch fetch.</summary>
    private static int Drive(ForkResolver resolver, FakeChain peer, bool branchValid = true)
    {
        int ancestorRoundTrips = 0;
        for (int guard = 0; guard < 10_000 && resolver.IsActive; guard++)
        {
            if (resolver.TakeHeaderRequest() is { } request)
            {
                if (resolver.State == ForkResolutionState.FindingAncestor)
                    ancestorRoundTrips++;
                resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));
            }
            foreach (var blocks in resolver.TakeBlockRequests(128))
                resolver.OnBlocksReceived(peer.Blocks(blocks));
            if (resolver.TakeValidationRequest() is not null)
                resolver.OnBranchValidated(branchValid, branchValid ? null : "producer signature does not verify");
        }
        return ancestorRoundTrips;
    }

    private ForkResolver NewResolver(FakeChain ours, bool priority = false, string peerId = "peer") =>
        new(peerId, priority, ours, _options, _time);

    [Theory]
    [InlineData(1, false)]
    [InlineData(100, false)]
    [InlineData(2_000, false)]
    [InlineData(5_000, true)]
    [InlineData(10_000, true)]
    public void Start_ForkWithinDepthLimit_FindsExactAncestorInAtMostTwoRoundTripsAndSwitches(int depth, bool priority)
    {
        const long ancestor = 3_000;
        var ours = FakeChain.Create("a", ancestor + depth);
        var peer = ours.Fork(ancestor, "b", ancestor + depth + 5);
        var resolver = NewResolver(ours, priority);

        Assert.True(resolver.Start(peer.Height, peer.TipHash));
        int roundTrips = Drive(resolver, peer);

        Assert.Equal(ancestor, resolver.AncestorHeight);
        Assert.InRange(roundTrips, 1, 2);
        Assert.Equal(roundTrips, resolver.RoundTrips);
        Assert.Equal(ForkResolutionState.Switch, resolver.State);
        var decision = resolver.TakeSwitch();
        Assert.NotNull(decision);
        Assert.Equal(ancestor, decision.AncestorHeight);
        // Only as much branch as fork choice needs: one block more than our chain.
        Assert.Equal(depth + 1, decision.Branch.Count);
        Assert.Equal(peer.HashAtHeight(ancestor + 1), decision.Branch[0]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void Start_ShallowFork_FindsAncestorInOneRoundTrip(int depth)
    {
        var ours = FakeChain.Create("a", 500 + depth);
        var peer = ours.Fork(500, "b", 500 + depth + 1);
        var resolver = NewResolver(ours);

        resolver.Start(peer.Height, peer.TipHash);

        Assert.Equal(1, Drive(resolver, peer));
    }

    [Theory]
    [InlineData(2_001, false, 2_000)]
    [InlineData(5_000, false, 2_000)]
    [InlineData(10_001, true, 10_000)]
    public void Start_ForkBeyondDepthLimit_GivesUpWithDepthReason(int depth, bool priority, int limit)
    {
        const long ancestor = 100;
        var ours = FakeChain.Create("a", ancestor + depth);
        var peer = ours.Fork(ancestor, "b", ancestor + depth + 50);
        var resolver = NewResolver(ours, priority);

        resolver.Start(peer.Height, peer.TipHash);
        int roundTrips = Drive(resolver, peer);

        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        Assert.Contains($"{depth} blocks deep", resolver.LastError);
        Assert.Contains($"limit of {limit}", resolver.LastError);
        Assert.InRange(roundTrips, 1, 2);
        Assert.Null(resolver.TakeSwitch());
        Assert.Equal(_time.GetUtcNow() + _options.GiveUpTimeout, resolver.GetStatus().RetryAllowedAt);
    }

    public enum Growth { DuringFetch, BeforeVerdict, BeforeSwitchTaken }

    /// <summary>Drives the resolver like <see cref="Drive"/>, extending our chain by <paramref name="blocks"/> at <paramref name="when"/>.</summary>
    private static void DriveGrowing(ForkResolver resolver, FakeChain ours, FakeChain peer, Growth when, int blocks)
    {
        bool grown = false;
        void Grow()
        {
            if (!grown)
                ours.Extend("a", blocks);
            grown = true;
        }
        for (int guard = 0; guard < 10_000 && resolver.IsActive; guard++)
        {
            if (resolver.TakeHeaderRequest() is { } request)
                resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));
            if (when == Growth.DuringFetch && resolver.State == ForkResolutionState.FetchingBranch)
                Grow();
            foreach (var request2 in resolver.TakeBlockRequests(128))
                resolver.OnBlocksReceived(peer.Blocks(request2));
            if (resolver.TakeValidationRequest() is not null)
            {
                if (when == Growth.BeforeVerdict)
                    Grow();
                resolver.OnBranchValidated(true, null);
            }
        }
        if (when == Growth.BeforeSwitchTaken)
            Grow();
        Assert.True(grown);
    }

    [Theory]
    [InlineData(Growth.DuringFetch, false, 2_000)]
    [InlineData(Growth.BeforeVerdict, false, 2_000)]
    [InlineData(Growth.BeforeSwitchTaken, false, 2_000)]
    [InlineData(Growth.DuringFetch, true, 10_000)]
    [InlineData(Growth.BeforeVerdict, true, 10_000)]
    [InlineData(Growth.BeforeSwitchTaken, true, 10_000)]
    public void Resolve_OurChainGrowsPastTheDepthLimitDuringResolution_GivesUpWithoutSwitchOrReport(Growth when, bool priority, int limit)
    {
        const long ancestor = 3_000;
        var ours = FakeChain.Create("a", ancestor + limit); // exactly at the limit when the ancestor is found
        var peer = ours.Fork(ancestor, "b", ancestor + limit + 100);
        var resolver = NewResolver(ours, priority);

        Assert.True(resolver.Start(peer.Height, peer.TipHash));
        DriveGrowing(resolver, ours, peer, when, 10);

        Assert.Null(resolver.TakeSwitch());
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        Assert.Contains($"{limit + 10} blocks deep", resolver.LastError);
        Assert.Contains($"limit of {limit}", resolver.LastError);
        Assert.Empty(resolver.TakeMisbehaviours()); // the branch is valid: the peer did nothing wrong
        Assert.Equal(_time.GetUtcNow() + _options.GiveUpTimeout, resolver.GetStatus().RetryAllowedAt);
    }

    [Theory]
    [InlineData(Growth.DuringFetch)]
    [InlineData(Growth.BeforeSwitchTaken)] // (growth before the verdict makes our chain the longer: kept, by fork choice)
    public void Resolve_OurChainGrowsUpToTheDepthLimitDuringResolution_StillSwitches(Growth when)
    {
        const long ancestor = 3_000;
        var ours = FakeChain.Create("a", ancestor + 1_990);
        var peer = ours.Fork(ancestor, "b", ancestor + 2_100);
        var resolver = NewResolver(ours);

        Assert.True(resolver.Start(peer.Height, peer.TipHash));
        DriveGrowing(resolver, ours, peer, when, 10); // now exactly 2,000 deep: allowed

        var decision = resolver.TakeSwitch();
        Assert.NotNull(decision);
        Assert.Equal(ancestor, decision.AncestorHeight);
        Assert.Equal(2_000, ours.Height - decision.AncestorHeight);
    }

    [Theory]
    [InlineData(false, 150, 100)]
    [InlineData(true, 150, 100)]
    [InlineData(true, 3_000, 2_500)]
    public void Start_ForkDeeperThanTheChainsReorgLimit_GivesUpAtTheSmallerOfTheTwoLimits(bool priority, int depth, int chainLimit)
    {
        const long ancestor = 100;
        var ours = FakeChain.Create("a", ancestor + depth);
        ours.MaxReorgDepth = chainLimit;
        var peer = ours.Fork(ancestor, "b", ancestor + depth + 50);
        var resolver = NewResolver(ours, priority);

        resolver.Start(peer.Height, peer.TipHash);
        Drive(resolver, peer);

        Assert.Equal(chainLimit, resolver.DepthLimit);
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        Assert.Contains($"limit of {chainLimit}", resolver.LastError);
    }

    [Theory]
    [InlineData(false, 2_000)]
    [InlineData(true, 10_000)]
    public void DepthLimit_ChainWithTheDefaultReorgLimit_IsTheSearchDepthOfThePeersClass(bool priority, int expected)
    {
        var ours = FakeChain.Create("a", 10);
        ours.MaxReorgDepth = TimeCoin.Core.Chain.ChainParameters.DefaultMaxReorgDepth;

        Assert.Equal(expected, NewResolver(ours, priority).DepthLimit);
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(10_000)]
    public void Start_DeepForkOfPriorityPeerFarFromGenesis_FindsAncestorInTwoRoundTrips(int depth)
    {
        // Ancestor far from genesis so the sparse locator entry lands thousands of blocks below the fork and the
        // first reply (2,000 headers) lies entirely in our chain; the dense second locator must close the gap.
        const long ancestor = 20_000;
        var ours = FakeChain.Create("a", ancestor + depth);
        var peer = ours.Fork(ancestor, "b", ancestor + depth + 10);
        var resolver = NewResolver(ours, priority: true);

        resolver.Start(peer.Height, peer.TipHash);
        int roundTrips = Drive(resolver, peer);

        Assert.Equal(2, roundTrips);
        Assert.Equal(ancestor, resolver.AncestorHeight);
        Assert.Equal(ForkResolutionState.Switch, resolver.State);
    }

    [Fact]
    public void OnBranchValidated_EqualHeightForksSeenFromBothSides_BothNodesEndOnTheLowerTip()
    {
        // Try several branch pairs so that both orders of the tip hashes occur.
        bool sawFirstLower = false, sawSecondLower = false;
        for (int pair = 0; pair < 8; pair++)
        {
            var common = FakeChain.Create("common", 200);
            var nodeA = common.Fork(200, $"x{pair}", 230);
            var nodeB = common.Fork(200, $"y{pair}", 230);
            var expectedTip = nodeA.TipHash < nodeB.TipHash ? nodeA.TipHash : nodeB.TipHash;
            sawFirstLower |= nodeA.TipHash < nodeB.TipHash;
            sawSecondLower |= nodeB.TipHash < nodeA.TipHash;
            var peerViewOfB = common.Fork(200, $"y{pair}", 230);
            var peerViewOfA = common.Fork(200, $"x{pair}", 230);

            var atA = NewResolver(nodeA, peerId: "B");
            var atB = NewResolver(nodeB, peerId: "A");
            atA.Start(peerViewOfB.Height, peerViewOfB.TipHash);
            atB.Start(peerViewOfA.Height, peerViewOfA.TipHash);
            Drive(atA, peerViewOfB);
            Drive(atB, peerViewOfA);
            foreach (var (resolver, chain) in new[] { (atA, nodeA), (atB, nodeB) })
            {
                if (resolver.TakeSwitch() is { } decision)
                    chain.ReorgTo(decision.AncestorHeight, decision.Branch);
            }

            Assert.Equal(expectedTip, nodeA.TipHash);
            Assert.Equal(expectedTip, nodeB.TipHash);
            // Exactly one side switched, the other kept its chain.
            Assert.Single(new[] { atA.State, atB.State }, s => s == ForkResolutionState.Switch);
            Assert.Single(new[] { atA.State, atB.State }, s => s == ForkResolutionState.Keep);
        }
        Assert.True(sawFirstLower && sawSecondLower);
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 10)]
    public void CheckTimeouts_PeerNeverAnswers_GivesUpAfterRetriesWithReason(bool priority, int retries)
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(290, "b", 305);
        var resolver = NewResolver(ours, priority);
        resolver.Start(peer.Height, peer.TipHash);

        int requestsSent = 0;
        while (resolver.IsActive)
        {
            Assert.NotNull(resolver.TakeHeaderRequest());
            requestsSent++;
            _time.Advance(_options.RequestTimeout - TimeSpan.FromMilliseconds(1));
            resolver.CheckTimeouts();
            Assert.True(resolver.IsActive); // not yet
            _time.Advance(TimeSpan.FromMilliseconds(1));
            resolver.CheckTimeouts();
        }

        Assert.Equal(retries + 1, requestsSent);
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        Assert.Equal(retries + 1, resolver.FailedAttempts);
        Assert.Contains($"gave up after {retries + 1} failed attempts", resolver.LastError);
        Assert.Contains("unanswered", resolver.LastError);
    }

    [Fact]
    public void Start_AfterGiveUp_RefusedUntilGiveUpTimeoutThenResolves()
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(290, "b", 305);
        var resolver = NewResolver(ours);
        resolver.Start(peer.Height, peer.TipHash);
        while (resolver.IsActive)
        {
            resolver.TakeHeaderRequest();
            resolver.OnRequestFailed("not found");
        }
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);

        _time.Advance(_options.GiveUpTimeout - TimeSpan.FromSeconds(1));
        Assert.False(resolver.CanStart);
        Assert.False(resolver.Start(peer.Height, peer.TipHash));
        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(resolver.Start(peer.Height, peer.TipHash));
        Drive(resolver, peer);
        Assert.Equal(ForkResolutionState.Switch, resolver.State);
        Assert.Null(resolver.LastError);
    }

    [Fact]
    public void OnHeaders_HeadersNotLinkingToOurChain_ReportsNonLinkingMisbehaviour()
    {
        var ours = FakeChain.Create("a", 300);
        var stranger = FakeChain.Create("zz", 400); // shares only a fake genesis below
        var resolver = NewResolver(ours);
        resolver.Start(stranger.Height, stranger.TipHash);
        resolver.TakeHeaderRequest();

        // Headers 100.. of an unrelated chain: their first parent is not a block we know.
        resolver.OnHeaders(Enumerable.Range(100, 50).Select(h => stranger.LinkAt(h)).ToArray());

        var report = Assert.Single(resolver.TakeMisbehaviours());
        Assert.Equal(MisbehaviourKind.NonLinkingChain, report.Kind);
        Assert.Equal("peer", report.PeerId);
        Assert.Equal(1, resolver.FailedAttempts);
    }

    [Fact]
    public void OnHeaders_HeadersWithBrokenInternalLink_ReportsNonLinkingMisbehaviour()
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(290, "b", 305);
        var resolver = NewResolver(ours);
        resolver.Start(peer.Height, peer.TipHash);
        var request = resolver.TakeHeaderRequest()!;
        var headers = peer.HeadersAfter(request.Locator, request.MaxHeaders).ToArray();
        headers[^2] = headers[^2] with { Hash = FakeChain.HashOf("forged", 1) };

        resolver.OnHeaders(headers);

        Assert.Equal(MisbehaviourKind.NonLinkingChain, Assert.Single(resolver.TakeMisbehaviours()).Kind);
    }

    [Fact]
    public void OnBranchValidated_InvalidBranch_ReportsPeerAndGivesUp()
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(290, "b", 305);
        var resolver = NewResolver(ours);
        resolver.Start(peer.Height, peer.TipHash);

        Drive(resolver, peer, branchValid: false);

        Assert.Equal(ForkResolutionState.GaveUp, resolver.State);
        Assert.Equal(MisbehaviourKind.InvalidBranch, Assert.Single(resolver.TakeMisbehaviours()).Kind);
        Assert.Contains("producer signature", resolver.LastError);
        Assert.Equal(300, ours.Height);
    }

    [Fact]
    public void Start_PeerChainShorter_KeepsOurChainWithoutAskingAnything()
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(250, "b", 280);
        var resolver = NewResolver(ours);

        resolver.Start(peer.Height, peer.TipHash);

        Assert.Equal(ForkResolutionState.Keep, resolver.State);
        Assert.Null(resolver.TakeHeaderRequest());
    }

    [Fact]
    public void OnBranchValidated_OurChainGrewPastBranchMeanwhile_KeepsOurChain()
    {
        var ours = FakeChain.Create("a", 300);
        var peer = ours.Fork(290, "b", 301);
        var resolver = NewResolver(ours);
        resolver.Start(peer.Height, peer.TipHash);
        var request = resolver.TakeHeaderRequest()!;
        resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));
        foreach (var blocks in resolver.TakeBlockRequests(128))
            resolver.OnBlocksReceived(peer.Blocks(blocks));
        Assert.NotNull(resolver.TakeValidationRequest());

        ours.Extend("a", 5); // our own chain moved on while validating
        resolver.OnBranchValidated(true, null);

        Assert.Equal(ForkResolutionState.Keep, resolver.State);
        Assert.Null(resolver.TakeSwitch());
    }

    [Fact]
    public void TakeBlockRequests_Budget_NeverRequestsMoreThanBudget()
    {
        var ours = FakeChain.Create("a", 1_000);
        var peer = ours.Fork(500, "b", 1_200);
        var resolver = NewResolver(ours);
        resolver.Start(peer.Height, peer.TipHash);
        var request = resolver.TakeHeaderRequest()!;
        resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));

        var requests = resolver.TakeBlockRequests(100);

        Assert.Equal(100, requests.Sum(r => r.Hashes.Count));
        Assert.Equal(100, resolver.BlocksInFlight);
        Assert.Empty(resolver.TakeBlockRequests(0));
    }

    [Fact]
    public void GetStatus_DuringFetch_ReportsPeerAncestorAndBranchLength()
    {
        var ours = FakeChain.Create("a", 1_000);
        var peer = ours.Fork(900, "b", 1_050);
        var resolver = NewResolver(ours, peerId: "abcd");
        resolver.Start(peer.Height, peer.TipHash);
        var request = resolver.TakeHeaderRequest()!;
        resolver.OnHeaders(peer.HeadersAfter(request.Locator, request.MaxHeaders));

        var status = resolver.GetStatus();

        Assert.Equal("abcd", status.PeerId);
        Assert.Equal(ForkResolutionState.FetchingBranch, status.State);
        Assert.Equal(900, status.AncestorHeight);
        Assert.Equal(101, status.BranchLength); // up to one block above our height
        Assert.Null(status.LastError);
    }
}
