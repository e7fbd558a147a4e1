using Microsoft.Extensions.Time.Testing;

namespace TimeCoin.Sync.Tests;

/// <summary>Drives a <see cref="SyncPlanner"/> against in-memory peers the way the coordinator will.</summary>
public sealed class SyncHarness
{
    public SyncHarness(FakeChain ours, SyncPlannerOptions? options = null)
    {
        Chain = ours;
        Planner = new SyncPlanner(ours, options ?? new SyncPlannerOptions(), Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public FakeChain Chain { get; }
    public SyncPlanner Planner { get; }
    public Dictionary<string, FakeChain> PeerChains { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, BlockLink> Delivered { get; } = [];
    public List<PeerMisbehaviour> Misbehaviours { get; } = [];
    public List<StalledRequest> Stalls { get; } = [];
    public int HeaderRequestsSent { get; private set; }

    public void AddPeer(string id, FakeChain chain, bool priority = false, bool masternode = false, double throughput = 0)
    {
        PeerChains[id] = chain;
        Planner.UpdatePeer(new PeerSyncInfo(id, chain.Height, chain.TipHash, priority, masternode, throughput));
    }

    /// <summary>One coordinator round: plan, answer every request from peers that <paramref name="responds"/>, connect.</summary>
    public SyncPlan Step(Func<string, bool>? responds = null, bool branchesValid = true)
    {
        var plan = Planner.Plan();
        Misbehaviours.AddRange(plan.Misbehaviours);
        Stalls.AddRange(plan.Stalls);
        foreach (var request in plan.HeaderRequests)
        {
            HeaderRequestsSent++;
            if (responds?.Invoke(request.PeerId) ?? true)
                Planner.OnHeadersReceived(request.PeerId, PeerChains[request.PeerId].HeadersAfter(request.Locator, request.MaxHeaders));
        }
        foreach (var request in plan.BlockRequests)
        {
            if (responds?.Invoke(request.PeerId) ?? true)
                Deliver(request);
        }
        foreach (var validation in plan.BranchValidations)
            Planner.OnBranchValidated(validation.PeerId, branchesValid, branchesValid ? null : "bad signature");
        foreach (var decision in plan.ForkSwitches)
        {
            Chain.ReorgTo(decision.AncestorHeight, decision.Branch);
            foreach (long h in Delivered.Keys.Where(h => h > decision.AncestorHeight).ToList())
                Delivered.Remove(h);
            Planner.OnBlockConnected(Chain.Height);
        }
        Connect();
        return plan;
    }

    /// <summary>
    /// One coordinator round on a node that follows the chain: plan, let <paramref name="answerHeaders"/> answer each
    /// header request (null: no reply), deliver the blocks of peers for which <paramref name="serves"/> holds, connect.
    /// </summary>
    public SyncPlan Round(Func<HeaderRequest, IReadOnlyList<BlockLink>?> answerHeaders, Func<string, bool> serves)
    {
        var plan = Planner.Plan();
        Misbehaviours.AddRange(plan.Misbehaviours);
        Stalls.AddRange(plan.Stalls);
        foreach (var request in plan.HeaderRequests)
        {
            if (answerHeaders(request) is { } headers)
                Planner.OnHeadersReceived(request.PeerId, headers);
        }
        foreach (var request in plan.BlockRequests)
        {
            if (serves(request.PeerId))
                Deliver(request);
        }
        Connect();
        return plan;
    }

    public void Deliver(BlockRequest request)
    {
        var blocks = PeerChains[request.PeerId].Blocks(request);
        foreach (var block in blocks)
            Delivered[block.Height] = block;
        Planner.OnBlocksReceived(request.PeerId, blocks);
    }

    public void Connect()
    {
        while (Delivered.Remove(Chain.Height + 1, out var block))
        {
            if (block.PreviousHash != Chain.TipHash)
                break;
            Chain.Append(block.Hash);
            Planner.OnBlockConnected(Chain.Height);
        }
    }
}
