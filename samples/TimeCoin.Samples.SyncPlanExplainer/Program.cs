// A sync-plan explainer built on the TimeCoin.Sync package: it sets up a node that is behind three peers (one
// whitelisted with priority sync, one masternode, one ordinary), drives the same SyncPlanner the node uses through a
// catch-up on a manual clock, and explains every decision: whom it asks for headers, which blocks it asks of whom,
// what it does when a peer stalls, and where it stands at the end. No network: the replies are scripted.
//
//   dotnet run --project samples/TimeCoin.Samples.SyncPlanExplainer -- [our height] [peers' height]   (default 100 1000)
using TimeCoin.Core.Crypto;
using TimeCoin.Sync;

long ours = args.Length > 0 && long.TryParse(args[0], out var o) && o >= 0 ? o : 100;
long theirs = args.Length > 1 && long.TryParse(args[1], out var t) && t > ours ? t : Math.Max(ours + 1, 1000);

// One chain both sides share; we hold its first `ours` blocks, the peers all of it.
var network = new ListChain(theirs);
var chain = new ListChain(ours);
var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
var options = new SyncPlannerOptions();
var planner = new SyncPlanner(chain, options, clock);
var tip = network.HashAtHeight(theirs)!.Value;
planner.UpdatePeer(new PeerSyncInfo("whitelisted", theirs, tip, IsPrioritySync: true));
planner.UpdatePeer(new PeerSyncInfo("masternode", theirs, tip, IsMasternode: true));
planner.UpdatePeer(new PeerSyncInfo("ordinary", theirs, tip));
Console.WriteLine($"We are at height {ours}; three peers report height {theirs}. Limits: {options.MaxBlocksInFlightPerPeer} blocks " +
    $"in flight per peer, {options.BlocksPerRequest} per request, a window of {options.DownloadWindow} heights, stall timeout {planner.StallTimeout.TotalSeconds} s.");

Step($"1. First plan: headers first, from the preferred peers (at most {options.MaxHeaderRequestsInFlight} header requests at once)");
var plan = planner.Plan();
foreach (var request in plan.HeaderRequests)
{
    Console.WriteLine($"  ask {request.PeerId} for up to {request.MaxHeaders} headers after a locator of {request.Locator.Count} hashes " +
        $"(our tip {chain.TipHash.ToString()[..12]}…, then exponentially spaced back to genesis)");
    var headers = network.Links(chain.Height + 1, Math.Min(theirs, chain.Height + request.MaxHeaders));
    planner.OnHeadersReceived(request.PeerId, headers);
    Console.WriteLine($"  {request.PeerId} answers {headers.Count} headers that link to our tip: the header chain now reaches {planner.HeaderHeight}");
}
Console.WriteLine($"  no blocks yet ({plan.BlockRequests.Count} block requests): a block is only asked for once its header is known");

Step("2. Second plan: blocks, spread over the peers, priority first");
plan = planner.Plan();
Explain(plan);

Step($"3. {planner.StallTimeout.TotalSeconds + 1} s pass; the whitelisted peer and the masternode deliver, the ordinary peer does not");
clock.Advance(planner.StallTimeout + TimeSpan.FromSeconds(1));
foreach (var request in plan.BlockRequests.Where(r => r.PeerId != "ordinary"))
    planner.OnBlocksReceived(request.PeerId, network.Links(request.StartHeight, request.EndHeight));
plan = planner.Plan();
foreach (var stall in plan.Stalls)
    Console.WriteLine($"  {stall.PeerId} stalled on {stall.Heights.Count} blocks ({stall.Heights.Min()}..{stall.Heights.Max()}): " +
        $"taken back, reassigned, and {stall.PeerId} rests for one stall timeout");
Explain(plan);
Console.WriteLine($"  stall timeout {planner.StallTimeout.TotalSeconds} s: when half or more of the peers stall at once, the planner blames " +
    "our side and doubles it instead (up to the maximum); on-time deliveries let it decay back");

Step("4. Status, as get_sync_status reports it");
var status = planner.GetStatus();
Console.WriteLine($"  height {status.Height}, header height {status.HeaderHeight}, best peer {status.BestPeerId} at {status.BestHeight}, " +
    $"syncing {status.IsSyncing}, {status.BlocksInFlight} blocks in flight " +
    $"({string.Join(", ", status.BlocksInFlightPerPeer.Select(p => $"{p.Key} {p.Value}"))})");
return 0;

static void Step(string title)
{
    Console.WriteLine();
    Console.WriteLine(title);
}

static void Explain(SyncPlan plan)
{
    foreach (var group in plan.BlockRequests.GroupBy(r => r.PeerId))
        Console.WriteLine($"  ask {group.Key} for {group.Sum(r => r.Hashes.Count)} blocks in {group.Count()} requests " +
            $"(heights {group.Min(r => r.StartHeight)}..{group.Max(r => r.EndHeight)})");
    if (plan.BlockRequests.Count == 0)
        Console.WriteLine("  no new block requests");
}

/// <summary>A chain of synthetic blocks 0..height, each hash derived from its height; enough for planning.</summary>
internal sealed class ListChain(long height) : IChainView
{
    private static Hash256 HashOf(long h) => Hash256.Sha256(BitConverter.GetBytes(h));

    public Hash256 TipHash => HashOf(Height);
    public long Height { get; } = height;

    public bool TryGetHeight(Hash256 hash, out long found)
    {
        for (found = Height; found >= 0; found--)
        {
            if (HashOf(found) == hash)
                return true;
        }
        return false;
    }

    public Hash256? HashAtHeight(long h) => h >= 0 && h <= Height ? HashOf(h) : null;

    public IReadOnlyList<Hash256> GetLocator()
    {
        var hashes = new List<Hash256>();
        for (long h = Height, step = 1; h > 0; h -= step, step = hashes.Count >= 10 ? step * 2 : 1)
            hashes.Add(HashOf(h));
        hashes.Add(HashOf(0));
        return hashes;
    }

    public List<BlockLink> Links(long from, long to) =>
        [.. Enumerable.Range(0, (int)(to - from + 1)).Select(i => new BlockLink(from + i, HashOf(from + i), HashOf(from + i - 1)))];
}

/// <summary>A clock that moves only when told to, so the explanation is the same on every run.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
