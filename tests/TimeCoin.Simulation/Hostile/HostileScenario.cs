using System.Globalization;
using TimeCoin.Core.Policy;
using TimeCoin.Simulation.Scenarios;

namespace TimeCoin.Simulation.Hostile;

/// <summary>
/// Scenario (i): attackers among honest nodes (10 among 100 at full length; at least one of each kind at CI length)
/// doing all of issue 9's attacks at once — unsolicited 4 MiB Blocks, absurd height claims (handshake, pongs,
/// announcements), 10,000 relayed and forged announcements of made-up masternodes per target, connections up to the
/// inbound limit left idle — on (a)'s lossy links. The honest nodes must keep (a)'s steady-state thresholds, keep
/// producing, end every attacker connection (ban or drop) and keep their tables and queues bounded.
/// </summary>
internal static class HostileScenario
{
    /// <summary>When the attack begins (the honest network has formed).</summary>
    public static TimeSpan AttackStart { get; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long an attacker connection that completed its handshake may stay open before the honest node must have
    /// ended it. Flooders and announcers: a few messages reach the ban threshold. Idlers: the ordinary liveness cut
    /// (150 s) plus slack. Liars: three unbacked-claim reports (5 min each) reach the short ban, plus slack.
    /// </summary>
    public static TimeSpan DropBound(HostileRole role) => role switch
    {
        HostileRole.Flooder => TimeSpan.FromMinutes(2),
        HostileRole.Announcer => TimeSpan.FromMinutes(2),
        HostileRole.Idler => TimeSpan.FromSeconds(200),
        _ => TimeSpan.FromMinutes(20),
    };

    /// <summary>How many honest nodes each kind of attacker targets.</summary>
    private static int TargetCount(HostileRole role) => role switch
    {
        HostileRole.Flooder => 4,
        HostileRole.Idler => 3,
        _ => 8,
    };

    /// <summary>Attackers for <paramref name="honestMasternodes"/> honest masternodes: one in ten, at least one of each kind.</summary>
    public static int AttackerCount(int honestMasternodes) => Math.Max(4, honestMasternodes / 10);

    /// <summary>Runs the scenario.</summary>
    public static ScenarioReport Run(ScenarioSettings s)
    {
        using var sim = new NetworkSimulation(new SimulationOptions
        {
            Seed = s.Seed,
            Masternodes = s.Nodes,
            Producers = s.Producers,
            OrdinaryNodes = 2,
            Links = ScenarioRunner.LossyLinks(s.Seed),
            Workers = s.Workers,
        });
        var hosts = new List<HostileHost>();
        try
        {
            int honest = sim.Nodes.Count;
            for (int k = 0; k < AttackerCount(s.Nodes); k++)
            {
                var role = (HostileRole)(k % 4);
                var order = Enumerable.Range(0, honest).ToArray();
                new Random(NetworkSimulation.Derive(s.Seed, 22, k)).Shuffle(order);
                hosts.Add(new HostileHost(sim, k, role, order.Take(Math.Min(honest, TargetCount(role))).Order().ToArray()));
            }
            var bounds = new HonestBounds();
            sim.Sampled += () => bounds.Sample(sim);
            sim.Start();
            foreach (var host in hosts)
                host.Start(AttackStart);
            sim.RunFor(AttackStart);
            long heightAtAttack = sim.RunningHeights().Max();
            var attackFrom = sim.Elapsed;
            sim.RunFor(TimeSpan.FromHours(s.Hours) - AttackStart);
            bounds.Sample(sim);
            return Summarize(sim, s, hosts, bounds, heightAtAttack, attackFrom);
        }
        finally
        {
            foreach (var host in hosts)
                host.Dispose();
        }
    }

    private static ScenarioReport Summarize(NetworkSimulation sim, ScenarioSettings s, List<HostileHost> hosts, HonestBounds bounds,
        long heightAtAttack, TimeSpan attackFrom)
    {
        var c = CultureInfo.InvariantCulture;
        var report = ScenarioRunner.Summarize(sim, "i", s);
        void Require(bool condition, string failure)
        {
            if (!condition)
                report.Failures.Add(failure);
        }

        // (a)'s steady-state thresholds, for the honest nodes (the attackers are not simulated nodes: they appear
        // only as the honest nodes' non-whitelisted peers).
        Require(report.WhitelistedDisconnects.Values.Sum() == 0, $"whitelisted disconnects {report.WhitelistedDisconnects.Values.Sum()} > 0");
        Require(report.WhitelistedMissedPongs == 0, $"missed pongs of whitelisted peers {report.WhitelistedMissedPongs} > 0");
        Require(report.SyncLag.P99 <= 2, $"sync lag p99 {report.SyncLag.P99} > 2 blocks");
        Require(report.Spread.AfterWarmUp <= 2, $"height spread after warm-up {report.Spread.AfterWarmUp} > 2");

        // Production continues: the chain grows by (nearly) one block per slot while under attack.
        long produced = sim.RunningHeights().Max() - heightAtAttack;
        long slots = (long)((sim.Elapsed - attackFrom).TotalSeconds / sim.Options.BlockTimeSeconds);
        report.Extra.Add(("blocks produced under attack / slots", $"{produced} / {slots}"));
        Require(produced >= slots * 9 / 10, $"production under attack: {produced} blocks in {slots} slots (< 90 %)");

        // Every attacker is banned or dropped by every honest node it reached, and no connection of its outlives its
        // role's bound.
        var now = sim.Elapsed;
        foreach (var role in Enum.GetValues<HostileRole>())
        {
            var ofRole = hosts.Where(h => h.Role == role).ToList();
            if (ofRole.Count == 0)
                continue;
            var records = ofRole.SelectMany(h => h.Connections).ToList();
            var handshaken = records.Where(r => r.HandshakeAt is not null).ToList();
            var bound = DropBound(role);
            var tooLong = handshaken.Where(r => r.Age(now) > bound).Where(r => r.ClosedAt is null || r.ClosedAt - r.OpenedAt > bound).ToList();
            int reachedPairs = 0, endedPairs = 0;
            foreach (var host in ofRole)
            {
                foreach (var target in host.Targets)
                {
                    var pair = host.Connections.Where(r => r.Target == target).ToList();
                    if (pair.Count == 0)
                        continue;
                    reachedPairs++;
                    if (pair.Any(r => r.Outcome is not null))
                        endedPairs++;
                }
            }
            string Longest(IEnumerable<HostileConnectionRecord> closed) =>
                closed.Any() ? $"{closed.Max(r => r.Age(now)).TotalSeconds:0} s" : "-";
            report.Extra.Add(($"{role} x{ofRole.Count}: connections / handshaken / banned / dropped / open",
                $"{records.Count} / {handshaken.Count} / {records.Count(r => r.Outcome == "banned")} / {records.Count(r => r.Outcome == "dropped")} / {records.Count(r => r.ClosedAt is null)}"));
            report.Extra.Add(($"{role}: longest handshaken connection (bound) / messages sent / MiB sent",
                $"{Longest(handshaken.Where(r => r.ClosedAt is not null))} ({bound.TotalSeconds:0} s) / {records.Sum(r => r.MessagesSent)} / {records.Sum(r => r.BytesSent) / (1024.0 * 1024):0.0}"));
            report.Extra.Add(($"{role}: honest nodes reached / that ended it / dials failed / refused before handshake",
                $"{reachedPairs} / {endedPairs} / {ofRole.Sum(h => h.DialsFailed)} / {ofRole.Sum(h => h.HandshakesRefused)}"));
            var addresses = ofRole.SelectMany(h => h.Addresses).Select(a => a.ToString()).ToHashSet();
            var reasons = sim.Metrics.Disconnects.Where(d => addresses.Contains(d.Peer))
                .GroupBy(d => d.Reason.Length > 48 ? d.Reason[..48] : d.Reason).OrderByDescending(g => g.Count()).Take(3)
                .Select(g => $"{g.Count()} x {g.Key}");
            report.Extra.Add(($"{role}: honest nodes' close reasons (top 3)", string.Join("; ", reasons)));
            foreach (var r in tooLong.Take(3))
            {
                var peer = sim.Nodes[r.Target].Node?.Connections.Peers.FirstOrDefault(p => p.RemoteEndPoint.Address.ToString() == r.Source);
                report.Extra.Add(($"  {role} connection open too long", $"{r.Source} -> node {r.Target} opened {r.OpenedAt:hh\\:mm\\:ss}, attacker sent {r.MessagesSent} messages; " +
                    (peer is null ? "the node has no peer from that address" :
                        $"the node's view: received {peer.MessagesReceived} messages / {peer.BytesReceived} bytes, sent {peer.MessagesSent}, missed pongs {peer.PingStatistics.TotalMissedPongs}, closed {peer.IsClosed}")));
            }
            Require(endedPairs == reachedPairs, $"{role}: {reachedPairs - endedPairs} of {reachedPairs} honest nodes it reached never banned or dropped it");
            Require(tooLong.Count == 0, $"{role}: {tooLong.Count} handshaken connections open longer than {bound.TotalSeconds:0} s " +
                $"(first: {tooLong.FirstOrDefault()?.Source} -> node {tooLong.FirstOrDefault()?.Target}, opened {tooLong.FirstOrDefault()?.OpenedAt:hh\\:mm\\:ss})");
        }

        // Bounded: the honest nodes' tables and the simulation's queues.
        report.Extra.Add(("honest max: peers / inbound / known addresses / masternodes / bans", bounds.ToString()));
        report.Extra.Add(("honest max: masternode whitelist entries not proved by a handshake", bounds.UnprovedMasternodeWhitelist.ToString(c)));
        report.Extra.Add(("managed heap max at a sample (whole process)", $"{bounds.ManagedHeap / (1024 * 1024)} MiB"));
        var limits = sim.Nodes[0].Node!.Options;
        Require(bounds.Inbound <= limits.Policy.MaxInbound, $"inbound connections {bounds.Inbound} above the limit {limits.Policy.MaxInbound}");
        Require(bounds.KnownAddresses <= limits.Connections.MaxKnownAddresses, $"known addresses {bounds.KnownAddresses} above the limit {limits.Connections.MaxKnownAddresses}");
        Require(bounds.UnprovedMasternodeWhitelist == 0, $"{bounds.UnprovedMasternodeWhitelist} masternode whitelist entries for made-up masternodes");
        return report;
    }

    /// <summary>The largest figures any honest node showed at a sample.</summary>
    private sealed class HonestBounds
    {
        public int Peers;
        public int Inbound;
        public int KnownAddresses;
        public int Masternodes;
        public int Bans;
        public int UnprovedMasternodeWhitelist;
        public long ManagedHeap;

        public void Sample(NetworkSimulation sim)
        {
            foreach (var node in sim.Nodes.Where(n => n.IsUp).Select(n => n.Node!))
            {
                Peers = Math.Max(Peers, node.Connections.Peers.Count);
                Inbound = Math.Max(Inbound, node.Connections.InboundCount);
                KnownAddresses = Math.Max(KnownAddresses, node.Connections.KnownAddressCount);
                Masternodes = Math.Max(Masternodes, node.Masternodes.Count);
                Bans = Math.Max(Bans, node.Policy.ListBans().Count);
                // Honest masternodes live in 10.1.0.0/16; a masternode entry anywhere else was taken on an announcement's word.
                UnprovedMasternodeWhitelist = Math.Max(UnprovedMasternodeWhitelist, node.Policy.ListWhitelist()
                    .Count(e => e.Source == WhitelistSource.Masternode && e.Range.Network.GetAddressBytes() is [10, not 1, ..]));
            }
            ManagedHeap = Math.Max(ManagedHeap, GC.GetTotalMemory(false));
        }

        public override string ToString() => $"{Peers} / {Inbound} / {KnownAddresses} / {Masternodes} / {Bans}";
    }
}
