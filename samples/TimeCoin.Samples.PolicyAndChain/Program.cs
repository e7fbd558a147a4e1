// A small tool built on TimeCoin.Core: it answers two questions an operator asks before changing a node's
// config: "what would this whitelist/ban list do to these addresses?" and "does a chain built on this federation
// validate?". Run: dotnet run --project samples/TimeCoin.Samples.PolicyAndChain
using System.Net;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;

var policy = new PeerPolicy(new PeerPolicyOptions(), TimeProvider.System);
foreach (var line in new[] { "noban,prioritysync@10.0.0.0/8", "192.168.1.7" })
{
    var spec = WhitelistSpec.Parse(line);
    policy.AddWhitelist(spec.Range, WhitelistSource.Config, "sample config", spec.PermissionsFor(WhitelistSource.Config));
}
policy.Ban(IpRange.Parse("10.9.9.9"), duration: null, "sample ban", BanSource.Config);
policy.ReplaceWhitelist(WhitelistSource.Discovery, [IpRange.Parse("203.0.113.5")], "sample discovery list");

Console.WriteLine("address          banned  permissions");
foreach (var text in new[] { "10.1.2.3", "10.9.9.9", "192.168.1.7", "203.0.113.5", "198.51.100.1" })
{
    var ip = IPAddress.Parse(text);
    Console.WriteLine($"{text,-16} {policy.IsBanned(ip),-7} {PeerPermissionNames.Format(policy.GetPermissions(ip))}");
}

// A three-member federation producing ten blocks in slot order, each validated as a node would.
var keys = Enumerable.Range(0, 3).Select(_ => KeyPair.Generate()).ToArray();
var parameters = ChainParameters.CreateDevnet(keys.Select(k => k.PublicKey), genesisTime: 1_700_000_000, blockTimeSeconds: 1);
var chain = new ChainState(parameters);
for (ulong slot = 1; slot <= 10; slot++)
{
    var producer = keys.Single(k => k.PublicKey == parameters.Schedule.ProducerOf(slot));
    var block = BlockFactory.Create(parameters, chain.Tip, slot, producer, [System.Text.Encoding.UTF8.GetBytes($"tx in slot {slot}")]);
    var result = chain.TryAdd(block, DateTimeOffset.FromUnixTimeSeconds(block.Header.Timestamp));
    if (!result.TipChanged)
        throw new InvalidOperationException($"block for slot {slot} was not accepted: {result}");
}
Console.WriteLine($"chain: height {chain.Height}, tip {chain.TipHash}, genesis {parameters.GenesisHash}");
foreach (var key in keys)
    key.Dispose();
