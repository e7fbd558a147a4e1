// A policy checker built on the TimeCoin.Core package: it loads the whitelist and ban lists of a time-node config
// file into the same PeerPolicy the node uses and answers, for each address: would it be admitted as an inbound
// peer, with which permissions, and why (the whitelist entries and bans that match).
//
//   dotnet run --project samples/TimeCoin.Samples.PolicyChecker -- example.toml 10.1.2.3 10.9.9.9 198.51.100.1
//   dotnet run --project samples/TimeCoin.Samples.PolicyChecker -- node.toml 203.0.113.5 --discovered 203.0.113.5
//
// --discovered ADDR and --masternode ADDR add entries as the discovery list or a verified masternode announcement
// would, to see what those sources grant. Exit codes: 0 answered, 1 bad arguments or config.
using System.Net;
using TimeCoin.Core.Policy;
using Tomlyn;
using Tomlyn.Model;

string? configPath = null;
var addresses = new List<IPAddress>();
var discovered = new List<IpRange>();
var masternodes = new List<IpRange>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "--discovered" or "--masternode" && i + 1 < args.Length && IpRange.TryParse(args[i + 1], out var range, out _))
    {
        (args[i] == "--discovered" ? discovered : masternodes).Add(range);
        i++;
    }
    else if (configPath is null && !args[i].StartsWith("--", StringComparison.Ordinal))
        configPath = args[i];
    else if (IPAddress.TryParse(args[i], out var address))
        addresses.Add(address);
    else
        return Usage($"'{args[i]}' is neither an IP address nor a known option");
}
if (configPath is null || addresses.Count == 0)
    return Usage("a config file and at least one address are required");

// The three keys of a time-node config that decide admission. The node itself validates every key (and rejects
// unknown ones); this sample reads only what it needs and reports a bad entry the same way the node would.
TomlTable p2p;
try
{
    var root = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(configPath)) ?? new TomlTable();
    p2p = root.TryGetValue("p2p", out var section) && section is TomlTable table ? table : new TomlTable();
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or TomlException)
{
    Console.Error.WriteLine($"{configPath}: {e.Message}");
    return 1;
}

int maxInbound = p2p.TryGetValue("max_inbound", out var max) && max is long m ? (int)m : 125;
var policy = new PeerPolicy(new PeerPolicyOptions
{
    MaxInbound = maxInbound,
    ReservedInboundSlots = Math.Min(32, maxInbound / 4), // as time-node sizes them
}, TimeProvider.System);

var errors = new List<string>();
var whitelist = new List<WhitelistSpec>();
foreach (var text in Strings(p2p, "whitelisted_peers"))
{
    if (WhitelistSpec.TryParse(text, out var spec, out var error))
        whitelist.Add(spec);
    else
        errors.Add($"{configPath}: p2p.whitelisted_peers: {error}");
}
foreach (var text in Strings(p2p, "blacklisted_peers"))
{
    if (IpRange.TryParse(text, out var range, out var error))
        policy.Ban(range, duration: null, "config blacklisted_peers", BanSource.Config);
    else
        errors.Add($"{configPath}: p2p.blacklisted_peers: {text}: {error}");
}
if (errors.Count > 0)
{
    errors.ForEach(Console.Error.WriteLine);
    return 1;
}
policy.ReplaceWhitelistWithSpecs(WhitelistSource.Config, whitelist, "config whitelisted_peers");
policy.ReplaceWhitelist(WhitelistSource.Discovery, discovered, "discovery list (--discovered)");
foreach (var range in masternodes)
    policy.AddWhitelist(range, WhitelistSource.Masternode, "verified masternode announcement (--masternode)");

Console.WriteLine($"{configPath}: {whitelist.Count} whitelist entries, {policy.ListBans().Count} bans, max_inbound {maxInbound} " +
    $"({policy.Options.ReservedInboundSlots} reserved for peers with reservedslot)");

// A node whose ordinary inbound slots are all taken by ordinary peers: only peers with reservedslot still get a
// free slot; others are admitted only by evicting the youngest unprotected peer.
var busy = Enumerable.Range(0, maxInbound - policy.Options.ReservedInboundSlots)
    .Select(i => new ConnectedPeer($"ordinary-{i}", new IPAddress([198, 18, (byte)(i >> 8), (byte)i]), IsInbound: true,
        DateTimeOffset.UnixEpoch.AddSeconds(i), IsMasternode: false, PeerPermissions.None))
    .ToList();

foreach (var address in addresses)
{
    Console.WriteLine();
    Console.WriteLine(address);
    var permissions = policy.GetPermissions(address);
    Console.WriteLine($"  permissions: {(permissions == PeerPermissions.None ? "none (an ordinary peer)" : PeerPermissionNames.Format(permissions))}");
    foreach (var entry in policy.ListWhitelist().Where(e => e.Range.Contains(address)))
        Console.WriteLine($"    from whitelist {entry.Range} (source {entry.Source}: {PeerPermissionNames.Format(entry.Permissions)}; {entry.Reason})");
    if (policy.GetBan(address) is { } ban)
        Console.WriteLine($"    banned by {ban.Range} (source {ban.Source}, {(ban.IsPermanent ? "permanent" : $"until {ban.Until:u}")}; {ban.Reason}): " +
            "a ban from config or RPC applies even to whitelisted addresses");
    Console.WriteLine($"  idle node:        {Explain(policy.EvaluateInbound(address, []))}");
    Console.WriteLine($"  ordinary slots full: {Explain(policy.EvaluateInbound(address, busy))}");
}
return 0;

static string Explain(AdmissionDecision decision) => decision.Action switch
{
    AdmissionAction.Admit => "admitted",
    AdmissionAction.AdmitEvicting => $"admitted after evicting the youngest unprotected peer ({decision.EvictPeerId})",
    _ => decision.RejectReason switch
    {
        AdmissionRejectReason.Banned => "rejected: banned",
        AdmissionRejectReason.PerIpLimit => "rejected: too many connections from this IP",
        _ => "rejected: no slot it may use and no peer it may evict",
    },
};

static IEnumerable<string> Strings(TomlTable table, string key) =>
    table.TryGetValue(key, out var value) && value is TomlArray array ? array.OfType<string>() : [];

static int Usage(string problem)
{
    Console.Error.WriteLine($"{problem}\nusage: PolicyChecker <config.toml> <ip>... [--discovered <ip|cidr>]... [--masternode <ip|cidr>]...");
    return 1;
}
