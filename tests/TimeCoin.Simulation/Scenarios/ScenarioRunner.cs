using TimeCoin.Simulation.Networking;

namespace TimeCoin.Simulation.Scenarios;

/// <summary>The scenarios of issue 8, each building a network, injecting its faults and checking its thresholds.</summary>
public static class ScenarioRunner
{
    /// <summary>Scenario names and what they do.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>
    {
        ["a"] = "steady state: 5 % segment loss, 20-300 ms latency, 200 ms jitter",
        ["b"] = "a node offline for 2 h rejoins",
        ["c"] = "50/50 partition for 1 h with producers on both sides, then heal",
        ["d"] = "pongs withheld 5 min: whitelisted peer kept, ordinary peer cut in 120-170 s",
        ["e"] = "the old network: empty whitelist, 90 s / 3 pongs for everyone, no keep-alive, (a)'s faults plus host outages of 3-10 min",
        ["f"] = "churn: every hour 10 % of the nodes crash and restart at random times",
        ["g"] = "rolling restart of every node, one by one",
        ["h"] = "a long chain (100,000 blocks at full length) and a new node joining",
        ["i"] = "hostile: 1 attacker per 10 masternodes (at least 4) floods 4 MiB Blocks, claims absurd heights, sends 10,000 fake announcements, fills inbound and idles; (a)'s links",
    };

    /// <summary>Runs scenario <paramref name="name"/>.</summary>
    public static ScenarioReport Run(string name, ScenarioSettings settings) => name switch
    {
        "a" => SteadyState(settings),
        "b" => OfflineRejoin(settings),
        "c" => PartitionHeal(settings),
        "d" => PongWithholding(settings),
        "e" => OldNetwork(settings),
        "f" => Churn(settings),
        "g" => RollingRestart(settings),
        "h" => LongChainJoin(settings),
        "i" => Hostile.HostileScenario.Run(settings),
        _ => throw new ArgumentException($"Unknown scenario '{name}'; known: {string.Join(", ", Descriptions.Keys)}.", nameof(name)),
    };

    /// <summary>The links of (a): per link a base latency of 20-300 ms, up to 200 ms jitter, 5 % segment loss.</summary>
    public static Func<System.Net.IPAddress, System.Net.IPAddress, LinkProfile> LossyLinks(int seed, double loss = 0.05)
    {
        // Concurrent: lanes on several threads may ask for a pair not seen yet (a dial to a made-up address).
        var cache = new System.Collections.Concurrent.ConcurrentDictionary<(System.Net.IPAddress, System.Net.IPAddress), LinkProfile>();
        return (from, to) =>
        {
            if (cache.TryGetValue((from, to), out var profile))
                return profile;
            // The base latency is a property of the pair (the same both ways), derived from the seed and the addresses.
            var (x, y) = string.CompareOrdinal(from.ToString(), to.ToString()) < 0 ? (from, to) : (to, from);
            int h = NetworkSimulation.Derive(seed, 10, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(x.GetAddressBytes()) * 31 +
                (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(y.GetAddressBytes()));
            profile = new LinkProfile
            {
                BaseLatency = TimeSpan.FromMilliseconds(20 + h % 281),
                Jitter = TimeSpan.FromMilliseconds(200),
                SegmentLoss = loss,
            };
            cache[(from, to)] = profile;
            return profile;
        };
    }

    private static SimulationOptions BaseOptions(ScenarioSettings s) => new()
    {
        Seed = s.Seed,
        Masternodes = s.Nodes,
        Producers = s.Producers,
        OrdinaryNodes = 2,
        Workers = s.Workers,
    };

    /// <summary>(a) Steady state under loss, latency and jitter.</summary>
    public static ScenarioReport SteadyState(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s) with { Links = LossyLinks(s.Seed) });
        sim.Start();
        sim.RunFor(TimeSpan.FromHours(s.Hours));
        var report = Summarize(sim, "a", s);
        Require(report, report.WhitelistedDisconnects.Values.Sum() == 0, $"whitelisted disconnects {report.WhitelistedDisconnects.Values.Sum()} > 0");
        Require(report, report.WhitelistedMissedPongs == 0, $"missed pongs of whitelisted peers {report.WhitelistedMissedPongs} > 0");
        Require(report, report.SyncLag.P99 <= 2, $"sync lag p99 {report.SyncLag.P99} > 2 blocks");
        Require(report, report.Spread.AfterWarmUp <= 2, $"height spread after warm-up {report.Spread.AfterWarmUp} > 2");
        return report;
    }

    /// <summary>(b) A node offline for 2 h rejoins and reaches the tip within 30 s.</summary>
    public static ScenarioReport OfflineRejoin(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s));
        sim.Start();
        var warm = TimeSpan.FromMinutes(10);
        sim.RunFor(warm);
        // An ordinary masternode (not a producer) goes down for 2 h.
        int victim = Enumerable.Range(0, s.Nodes).First(i => !sim.ProducerIndexes.Contains(i));
        sim.Crash(victim);
        var offline = TimeSpan.FromHours(2);
        sim.RunFor(offline);
        long before = sim.Nodes[victim].Node?.Chain.State.Height ?? -1;
        sim.Restart(victim);
        long startHeight = sim.Nodes[victim].Node!.Chain.State.Height;
        var took = sim.RunUntil(() => sim.Nodes[victim].Node!.Chain.State.Height >= sim.RunningHeights().Max(), TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200));
        long caughtUp = sim.Nodes[victim].Node!.Chain.State.Height - startHeight;
        sim.RunFor(TimeSpan.FromMinutes(2));
        var report = Summarize(sim, "b", s, catchUp: took is { } t && t > TimeSpan.Zero ? caughtUp / t.TotalMinutes : null,
            excludeFromLag: (at, node) => node == victim && at >= warm);
        report.Extra.Add(("offline", $"{offline.TotalHours:0.##} h, {caughtUp} blocks behind at restart (stored height {startHeight}, before {before})"));
        report.Extra.Add(("time to tip after restart", took is { } d ? $"{d.TotalSeconds:0.0} s" : "not within 5 min"));
        Require(report, took is { } x && x <= TimeSpan.FromSeconds(30), $"rejoining node not at the tip within 30 s ({(took is { } y ? $"{y.TotalSeconds:0.0} s" : "not within 5 min")})");
        return report;
    }

    /// <summary>(c) A 50/50 partition for 1 h with producers on both sides heals without operator action.</summary>
    public static ScenarioReport PartitionHeal(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s));
        sim.Start();
        var warm = TimeSpan.FromMinutes(10);
        sim.RunFor(warm);
        // Halves: every other producer and every other other node on side A, so both sides hold half the federation.
        var producers = sim.ProducerIndexes.ToHashSet();
        var sideAIndexes = sim.ProducerIndexes.Where((_, k) => k % 2 == 0)
            .Concat(sim.Nodes.Where(n => !producers.Contains(n.Index)).Select(n => n.Index).Where((_, k) => k % 2 == 0)).ToHashSet();
        var sideA = sideAIndexes.Select(i => sim.Nodes[i].Address).ToHashSet();
        bool producersBothSides = sim.ProducerIndexes.Any(sideAIndexes.Contains) && sim.ProducerIndexes.Any(i => !sideAIndexes.Contains(i));
        sim.Network.Partition = (from, to) => sideA.Contains(from) != sideA.Contains(to);
        var partition = sim.BeginFault("partition", (from, to) => sideA.Contains(from) != sideA.Contains(to));
        var length = TimeSpan.FromHours(1);
        sim.RunFor(length);
        long heightA = sim.Nodes.Where(n => sideAIndexes.Contains(n.Index)).Max(n => n.Node!.Chain.State.Height);
        long heightB = sim.Nodes.Where(n => !sideAIndexes.Contains(n.Index)).Max(n => n.Node!.Chain.State.Height);
        var healedAt = sim.Elapsed;
        sim.Network.Partition = null;
        partition.End(sim.Elapsed);
        var took = sim.RunUntil(sim.AllOnOneTip, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(500));
        // One tip may be a coincidence between two blocks: a minute later the nodes must converge again (a block
        // takes a few hundred ms to reach everyone, so "one tip" is checked as "one tip within 30 s").
        sim.RunFor(TimeSpan.FromMinutes(1));
        var again = sim.RunUntil(sim.AllOnOneTip, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        var report = Summarize(sim, "c", s, forkResolution: took ?? TimeSpan.MaxValue,
            excludeFromLag: (at, _) => at >= warm && at < healedAt + TimeSpan.FromMinutes(10));
        report.Extra.Add(("partition", $"{length.TotalHours:0.##} h; best heights at heal {heightA} / {heightB}; producers on both sides: {producersBothSides}"));
        Require(report, producersBothSides, "the partition did not put producers on both sides");
        Require(report, took is { } t && t <= TimeSpan.FromSeconds(30), $"not on one tip within 30 s after healing ({(took is { } u ? $"{u.TotalSeconds:0.0} s" : "not within 10 min")})");
        Require(report, again is not null, "the nodes do not converge on one tip again 1 min after that");
        return report;
    }

    /// <summary>(d) The analysis' Test 3: pongs withheld for 5 min.</summary>
    public static ScenarioReport PongWithholding(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s));
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(5));
        var whitelisted = sim.Nodes.First(n => n.IsMasternode && !sim.ProducerIndexes.Contains(n.Index));
        var ordinary = sim.Nodes.First(n => !n.IsMasternode);
        var faultStart = sim.Elapsed;
        foreach (var host in new[] { whitelisted, ordinary })
            sim.Network.SetWithholdPongs(host.Address, true);
        var fault = sim.BeginFault("withhold pongs", (from, _) => from.Equals(whitelisted.Address) || from.Equals(ordinary.Address));
        sim.RunFor(TimeSpan.FromMinutes(5));
        foreach (var host in new[] { whitelisted, ordinary })
            sim.Network.SetWithholdPongs(host.Address, false);
        fault.End(sim.Elapsed);
        sim.RunFor(TimeSpan.FromMinutes(2));
        var report = Summarize(sim, "d", s);
        var cuts = sim.Metrics.Disconnects.Where(d => d.At >= faultStart && d.Kind == "liveness").ToList();
        var whitelistedCuts = cuts.Where(d => d.Peer == whitelisted.Address.ToString()).ToList();
        // Connections that were open when the fault began (one made during the fault starts its own clock).
        var ordinaryCuts = cuts.Where(d => d.Peer == ordinary.Address.ToString() && d.ConnectedAt <= faultStart)
            .Select(d => d.At - faultStart).ToList();
        report.Extra.Add(("whitelisted peer cut for liveness", whitelistedCuts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        report.Extra.Add(("ordinary peer cut after", ordinaryCuts.Count == 0 ? "never" : string.Join(", ", ordinaryCuts.Select(t => $"{t.TotalSeconds:0} s"))));
        Require(report, whitelistedCuts.Count == 0, $"the whitelisted peer was cut {whitelistedCuts.Count} times for liveness");
        Require(report, ordinaryCuts.Count > 0, "the ordinary peer was never cut");
        Require(report, ordinaryCuts.All(t => t >= TimeSpan.FromSeconds(120) && t <= TimeSpan.FromSeconds(170)),
            $"the ordinary peer was cut outside 120-170 s ({string.Join(", ", ordinaryCuts.Select(t => $"{t.TotalSeconds:0} s"))})");
        return report;
    }

    /// <summary>
    /// (e) The old network reproduced: no whitelist, the old limits for everyone (90 s pong timeout, 3 missed pongs,
    /// pings every 30 s, no keep-alive), (a)'s lossy links plus outages of whole hosts for 3-10 min. The report must
    /// show what the analysis saw: liveness cuts between masternodes and a height spread well above 10.
    /// </summary>
    public static ScenarioReport OldNetwork(ScenarioSettings s)
    {
        var old = new TimeCoin.Core.Liveness.PingOptions
        {
            PingInterval = TimeSpan.FromSeconds(30),
            PongTimeout = TimeSpan.FromSeconds(90),
            MaxMissedPongs = 3,
            LenientPongTimeout = TimeSpan.FromSeconds(90),
            LenientMaxMissedPongs = 3,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        };
        using var sim = new NetworkSimulation(BaseOptions(s) with
        {
            Links = LossyLinks(s.Seed),
            Whitelist = [],
            AutoWhitelistMasternodes = false,
            Ping = old,
        });
        var outages = new HashSet<System.Net.IPAddress>();
        sim.Network.Partition = (from, to) => outages.Contains(from) || outages.Contains(to);
        var random = new Random(NetworkSimulation.Derive(s.Seed, 20, 0));
        sim.Start();
        var end = TimeSpan.FromHours(s.Hours);
        while (sim.Elapsed < end)
        {
            // Every 2 minutes one host loses its uplink for 3-10 minutes.
            var host = sim.Nodes[random.Next(sim.Nodes.Count)].Address;
            if (outages.Add(host))
            {
                var fault = sim.BeginFault($"outage {host}", (a, b) => a.Equals(host) || b.Equals(host));
                sim.Scheduler.Schedule(sim.Scheduler.Harness, TimeSpan.FromMinutes(3 + random.NextDouble() * 7), () =>
                {
                    outages.Remove(host);
                    fault.End(sim.Elapsed);
                });
            }
            sim.RunFor(TimeSpan.FromMinutes(2));
        }
        var report = Summarize(sim, "e", s);
        int masternodeCuts = sim.Metrics.Disconnects.Count(d => d.Kind == "liveness" && System.Net.IPAddress.Parse(d.Peer).GetAddressBytes()[1] == 1);
        report.Extra.Add(("liveness cuts between masternodes (whitelisted class)", masternodeCuts.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // This scenario passes when the instrument sees the old failure.
        Require(report, masternodeCuts > 0, "the old limits cut no masternode connection: the instrument does not see the old failure");
        Require(report, report.Spread.Max > 10, $"height spread max {report.Spread.Max} is not above 10: the instrument does not see the old drift");
        return report;
    }

    /// <summary>
    /// (f) Churn: every hour 10 % of the nodes crash and restart at random times (down 1-20 min). No node shows a
    /// masternode active longer than the offline limit after its heartbeats stopped; every node returns to the tip.
    /// </summary>
    public static ScenarioReport Churn(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s));
        var random = new Random(NetworkSimulation.Derive(s.Seed, 21, 0));
        var heartbeat = new TimeCoin.Core.Masternodes.HeartbeatOptions();
        var slack = heartbeat.OfflineAfter + heartbeat.EvaluateInterval + sim.Options.SampleInterval + heartbeat.HeartbeatInterval;
        var byKey = sim.Nodes.ToDictionary(n => n.Identity.PublicKey, n => n);
        long staleActive = 0;
        sim.Sampled += () =>
        {
            foreach (var observer in sim.Nodes.Where(n => n.IsUp))
            {
                foreach (var record in observer.Node!.Masternodes.ActiveMasternodes)
                {
                    if (byKey.TryGetValue(record.Key, out var host) && host.DownSince is { } down && sim.Elapsed - down > slack)
                    {
                        staleActive++;
                        if (staleActive <= 3)
                            sim.Metrics.InvariantViolations.Add($"{sim.Elapsed}: node {observer.Index} shows masternode {host.Index} active, down since {down}");
                    }
                }
            }
        };
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(10));
        int perHour = Math.Max(1, sim.Nodes.Count / 10);
        int crashes = 0;
        for (int hour = 0; hour < Math.Max(1, (int)Math.Round(s.Hours)); hour++)
        {
            var hourStart = sim.Elapsed;
            var plan = Enumerable.Range(0, perHour)
                .Select(_ => (Node: random.Next(sim.Nodes.Count), At: TimeSpan.FromMinutes(random.NextDouble() * 40), Down: TimeSpan.FromMinutes(1 + random.NextDouble() * 19)))
                .OrderBy(p => p.At).ToList();
            foreach (var (node, at, down) in plan)
            {
                if (hourStart + at > sim.Elapsed)
                    sim.RunFor(hourStart + at - sim.Elapsed);
                if (!sim.Nodes[node].IsUp)
                    continue;
                sim.Crash(node);
                crashes++;
                int restart = node;
                sim.Scheduler.Schedule(sim.Scheduler.Harness, down, () => sim.Restart(restart));
            }
            var hourEnd = hourStart + TimeSpan.FromHours(1);
            if (hourEnd > sim.Elapsed)
                sim.RunFor(hourEnd - sim.Elapsed);
        }
        foreach (var node in sim.Nodes.Where(n => !n.IsUp).ToList())
            sim.Restart(node.Index);
        var back = sim.RunUntil(() => sim.AllOnOneTip() && sim.Nodes.All(n => n.IsUp), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1));
        var report = Summarize(sim, "f", s, excludeFromLag: (at, node) => node < 0 || sim.Faults.Any(f => f.Name == $"crash {node}" && at >= f.From && at <= (f.Until ?? TimeSpan.MaxValue - TimeSpan.FromMinutes(1)) + TimeSpan.FromMinutes(1)));
        report.Extra.Add(("crashes", crashes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        report.Extra.Add(("samples with a stale active masternode", staleActive.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        report.Extra.Add(("every node on one tip after the last restart", back is { } b ? $"after {b.TotalSeconds:0} s" : "no (5 min)"));
        Require(report, staleActive == 0, $"{staleActive} samples showed a masternode active longer than the offline limit after it went down");
        Require(report, back is not null, "not every node returned to the tip within 5 min of the last restart");
        return report;
    }

    /// <summary>(g) Rolling restart (an upgrade): each node in turn stops, stays down 30 s and starts; spread ≤ 2 outside the restarting node.</summary>
    public static ScenarioReport RollingRestart(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(BaseOptions(s));
        sim.Start();
        sim.RunFor(TimeSpan.FromMinutes(10));
        var restarting = new Dictionary<int, (TimeSpan From, TimeSpan Until)>();
        foreach (var node in sim.Nodes)
        {
            var from = sim.Elapsed;
            sim.Crash(node.Index);
            sim.RunFor(TimeSpan.FromSeconds(30));
            sim.Restart(node.Index);
            sim.RunFor(TimeSpan.FromSeconds(60));
            // The restarted node counts again once it had 30 s to catch up.
            restarting[node.Index] = (from, sim.Elapsed - TimeSpan.FromSeconds(30));
        }
        sim.RunFor(TimeSpan.FromMinutes(5));
        var converged = sim.RunUntil(sim.AllOnOneTip, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        bool Excluded(TimeSpan at, int node) => restarting.TryGetValue(node, out var w) && at >= w.From && at <= w.Until;
        var spreads = sim.Metrics.Lags.Where(l => l.At >= TimeSpan.FromMinutes(10) && !Excluded(l.At, l.Node))
            .GroupBy(l => l.At).Select(g => g.Max(l => l.Lag) - g.Min(l => l.Lag)).ToList();
        long spreadOutside = spreads.Count == 0 ? 0 : spreads.Max();
        var report = Summarize(sim, "g", s, excludeFromLag: (at, node) => node < 0 || Excluded(at, node));
        report.Extra.Add(("height spread outside the restarting node (max)", spreadOutside.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Require(report, spreadOutside <= 2, $"height spread outside the restarting node {spreadOutside} > 2");
        Require(report, converged is not null, "the nodes do not converge on one tip within 30 s at the end");
        return report;
    }

    /// <summary>
    /// (h) A chain of 100,000 blocks (at full length; 10,000 at CI length) on every masternode and a new node with an
    /// empty store joining: it reaches the tip; the report gives its catch-up rate.
    /// </summary>
    public static ScenarioReport LongChainJoin(ScenarioSettings s)
    {
        int blocks = s.Hours >= 24 ? 100_000 : 10_000;
        int joiner = s.Nodes; // the first ordinary node: starts with an empty store
        var prepare = System.Diagnostics.Stopwatch.StartNew();
        using var sim = new NetworkSimulation(BaseOptions(s) with { OrdinaryNodes = 1, PrebuiltBlocks = blocks, StartEmpty = new HashSet<int> { joiner } });
        var prepared = prepare.Elapsed;
        sim.Start();
        var took = sim.RunUntil(() => sim.Nodes[joiner].Node is { } n && n.Chain.State.Height >= sim.RunningHeights().Max(), TimeSpan.FromHours(2), TimeSpan.FromSeconds(1));
        long height = sim.Nodes[joiner].Node!.Chain.State.Height;
        var report = Summarize(sim, "h", s, catchUp: took is { } t && t > TimeSpan.Zero ? height / t.TotalMinutes : null,
            excludeFromLag: (_, node) => node == joiner || node < 0);
        report.Extra.Add(("chain length at start", blocks.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        report.Extra.Add(("new node at the tip after", took is { } d ? $"{d.TotalSeconds:0} simulated s (height {height})" : $"not within 2 h (height {height})"));
        report.Extra.Add(("building the chain (wall)", $"{prepared.TotalSeconds:0.0} s"));
        Require(report, took is not null, $"the new node did not reach the tip within 2 simulated hours (height {height})");
        // Catching up is not misbehaving: no peer may cut or ban the new node for a violation while it syncs.
        var punished = sim.Metrics.Disconnects.Where(d => d.Peer == sim.Nodes[joiner].Address.ToString() && d.Kind is "banned" or "violation").ToList();
        report.Extra.Add(("peers that cut the new node for a violation", punished.Count == 0 ? "0" : $"{punished.Count} ({punished[0].Reason})"));
        Require(report, punished.Count == 0, $"peers cut the new node {punished.Count} times for a violation while it caught up ({(punished.Count > 0 ? punished[0].Reason : "")})");
        return report;
    }

    private static void Require(ScenarioReport report, bool condition, string failure)
    {
        if (!condition)
            report.Failures.Add(failure);
    }

    /// <summary>Builds the report table from what the simulation measured.</summary>
    public static ScenarioReport Summarize(NetworkSimulation sim, string scenario, ScenarioSettings settings, double? catchUp = null,
        TimeSpan? forkResolution = null, Func<TimeSpan, int, bool>? excludeFromLag = null)
    {
        var m = sim.Metrics;
        LastProfile = sim.Scheduler.Profile;
        var warmUp = sim.Options.WarmUp;
        var lags = m.Lags.Where(l => l.At >= warmUp && !(excludeFromLag?.Invoke(l.At, l.Node) ?? false)).Select(l => l.Lag).Order().ToArray();
        var spreadsAfter = m.Spreads.Where(p => p.At >= warmUp && !(excludeFromLag?.Invoke(p.At, -1) ?? false)).Select(p => p.Spread).ToArray();
        var faultInduced = m.Disconnects.Count(d => d.WasWhitelisted && d.Kind != "duplicate" && sim.IsFaultInduced(d));
        var whitelisted = m.Disconnects.Where(d => d.WasWhitelisted && d.Kind != "duplicate" && !sim.IsFaultInduced(d))
            .GroupBy(d => IsRemoteDuplicateClose(sim, d) ? "closed by the remote as a duplicate" : d.Kind)
            .ToDictionary(g => g.Key, g => g.Count());
        int remoteDuplicates = whitelisted.GetValueOrDefault("closed by the remote as a duplicate");
        whitelisted.Remove("closed by the remote as a duplicate");
        double nodeHours = sim.Nodes.Count * sim.Elapsed.TotalHours;
        var report = new ScenarioReport
        {
            Scenario = scenario,
            Description = Descriptions[scenario],
            Settings = settings,
            WhitelistedDisconnects = whitelisted,
            WhitelistedMissedPongs = m.WhitelistedMissedPongs,
            SyncLag = lags.Length == 0 ? (0, 0, 0) : (Percentile(lags, 0.50), Percentile(lags, 0.99), lags[^1]),
            Spread = (m.Spreads.Count == 0 ? 0 : m.Spreads.Max(p => p.Spread), spreadsAfter.Length == 0 ? 0 : spreadsAfter.Max()),
            CatchUpBlocksPerMinute = catchUp,
            ForkResolution = forkResolution,
            MessagesPerNodeHour = sim.Network.MessagesDelivered / nodeHours,
            BytesPerNodeHour = sim.Network.BytesDelivered / nodeHours,
            NodeHoursPerWallSecond = nodeHours / Math.Max(0.001, sim.WallTime.TotalSeconds),
            WallTime = sim.WallTime,
            CpuTime = sim.CpuTime,
            TraceHash = sim.Trace.Current(),
        };
        report.Extra.Add(("heights (min / max) at the end", $"{sim.RunningHeights().Min()} / {sim.RunningHeights().Max()}"));
        report.Extra.Add(("connections open / opened", $"{sim.Network.OpenConnections} / {sim.Network.ConnectionsOpened}"));
        report.Extra.Add(("all disconnects (whitelisted incl. duplicates)", $"{m.Disconnects.Count} ({m.Disconnects.Count(d => d.WasWhitelisted)})"));
        string Gaps(bool masternodes)
        {
            var gaps = sim.Network.PingGaps.Where(g => g.Key.BetweenMasternodes == masternodes).OrderByDescending(g => g.Value).Take(3).ToList();
            long total = sim.Network.PingGaps.Where(g => g.Key.BetweenMasternodes == masternodes).Sum(g => g.Value);
            return total == 0 ? "-" : string.Join(", ", gaps.Select(g => $"{g.Key.Seconds} s: {100.0 * g.Value / total:0.#} %"));
        }
        report.Extra.Add(("ping cadence between masternodes (whitelisted)", Gaps(true)));
        report.Extra.Add(("ping cadence with ordinary nodes", Gaps(false)));
        foreach (var (type, (messages, bytes)) in sim.Network.TrafficByType.OrderByDescending(t => t.Value.Bytes))
        {
            string name = Enum.IsDefined(typeof(TimeCoin.Network.Protocol.MessageType), (ushort)type) ? ((TimeCoin.Network.Protocol.MessageType)type).ToString() : type.ToString(System.Globalization.CultureInfo.InvariantCulture);
            report.Traffic.Add((name, messages / nodeHours, bytes / nodeHours));
        }
        report.Extra.Add(("work items / timers fired / trace events", $"{sim.Scheduler.StepsExecuted} / {sim.Scheduler.TimersFired} / {sim.Trace.Events}"));
        report.Extra.Add(("max run queue / max bytes in flight", $"{sim.Scheduler.MaxRunQueueLength} / {sim.Network.MaxInFlightBytes}"));
        report.Extra.Add(("windows / shared by the workers / run alone (workers slower); lookahead; workers",
            $"{sim.Scheduler.Windows} / {sim.Scheduler.SharedWindows} / {sim.Scheduler.SoloWindows}; {sim.Scheduler.Lookahead.TotalMilliseconds:0.#} ms; {sim.Scheduler.Workers}"));
        if (sim.Scheduler.ParallelEstimate is { Work.Ticks: > 0 } estimate)
            report.Extra.Add(("lanes' work / on two ideal workers (SIM_PROFILE, 1 worker)",
                $"{estimate.Work.TotalSeconds:0.0} s / {estimate.TwoWorkerCriticalPath.TotalSeconds:0.0} s ({estimate.Work / estimate.TwoWorkerCriticalPath:0.00}x)"));
        report.Extra.Add(("max blocks in flight (node / one peer; checks)", $"{m.MaxBlocksInFlight} / {m.MaxBlocksInFlightPerPeer}; {m.PlannerChecks}"));
        report.Extra.Add(("whitelisted closes by the remote as a duplicate", remoteDuplicates.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        report.Extra.Add(("whitelisted disconnects caused by injected faults", faultInduced.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var d in m.Disconnects.Where(d => d.WasWhitelisted && d.Kind == "liveness" && !sim.IsFaultInduced(d)).Take(5))
            report.Failures.Add($"invariant: whitelisted peer {d.Peer} cut for liveness by node {d.Node} at {d.At} while its link delivered: {d.Reason}");
        foreach (var d in m.Disconnects.Where(d => d.WasWhitelisted && d.Kind != "duplicate" && !IsRemoteDuplicateClose(sim, d) && !sim.IsFaultInduced(d)).Take(5))
            report.Extra.Add(("  whitelisted disconnect", $"{d.At:hh\\:mm\\:ss\\.fff} node {d.Node} ({sim.Nodes[d.Node].Address}) from {d.Peer}: {d.Reason}"));
        if (Environment.GetEnvironmentVariable("SIM_DUMP_DISCONNECTS") == "1")
            foreach (var d in m.Disconnects)
                report.Extra.Add(("  disconnect", $"{d.At:hh\\:mm\\:ss\\.fff} node {d.Node} ({sim.Nodes[d.Node].Address}) from {d.Peer}{(d.WasWhitelisted ? " (whitelisted)" : "")}: {d.Reason}"));
        foreach (var violation in m.InvariantViolations.Take(5))
            report.Failures.Add("invariant: " + violation);
        if (m.InvariantViolations.Count > 5)
            report.Failures.Add($"invariant: {m.InvariantViolations.Count - 5} more violations");
        return report;
    }

    /// <summary>
    /// True when <paramref name="d"/> is the far side of a duplicate resolution: the remote closed this connection
    /// as a duplicate (it keeps the other connection between the two nodes) within a second before. The node cannot
    /// tell this from any other close by the remote (there is no goodbye message yet) and logs it as a whitelisted
    /// disconnect; the report counts it apart.
    /// </summary>
    private static bool IsRemoteDuplicateClose(NetworkSimulation sim, SimulationMetrics.Disconnect d)
    {
        if (d.Kind != "connection closed by the remote")
            return false;
        var self = sim.Nodes[d.Node].Address.ToString();
        return sim.Metrics.Disconnects.Any(o => o.Kind == "duplicate" && o.Peer == self && sim.Nodes[o.Node].Address.ToString() == d.Peer
            && o.At <= d.At + TimeSpan.FromSeconds(1) && o.At >= d.At - TimeSpan.FromSeconds(5));
    }

    /// <summary>The profile of the last run when SIM_PROFILE=1.</summary>
    public static Dictionary<string, long>? LastProfile { get; private set; }

    private static long Percentile(long[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
