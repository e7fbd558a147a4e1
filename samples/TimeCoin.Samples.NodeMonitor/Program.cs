// A monitor built on the TimeCoin.Network package: with its PeerClient it connects to a running time-node as an
// ordinary peer (a throw-away node key), completes the real handshake (network, genesis and signed
// acknowledgements), prints the node's identity and tip, asks for its best height now, the peers and the
// masternodes it knows, prints them and disconnects in order. Every wait is bounded by the client's timeouts.
//
// Run against a local devnet node (see samples/README.md):
//   dotnet run --project samples/TimeCoin.Samples.NodeMonitor -- 127.0.0.1:24200 devnet
// Exit codes: 0 the node answered, 1 bad arguments, 2 the node could not be reached, the handshake failed or the
// node did not answer in time.
using System.Net;
using TimeCoin.Core.Chain;
using TimeCoin.Network.Client;

if (args.Length is < 1 or > 2 || !IPEndPoint.TryParse(args[0], out var endpoint) || endpoint.Port == 0)
{
    Console.Error.WriteLine("usage: NodeMonitor <ip:port> [mainnet|testnet|devnet]   (the node's P2P endpoint and network, default devnet)");
    return 1;
}

if (!ChainParameters.TryForNetwork(args.Length > 1 ? args[1] : "devnet", out var chain))
{
    Console.Error.WriteLine($"unknown network '{args[1]}'; built-in networks: {string.Join(", ", ChainParameters.BuiltInNetworkNames)}");
    return 1;
}

var options = new PeerClientOptions { UserAgent = "TimeCoin.Samples.NodeMonitor/0.1", RequestTimeout = TimeSpan.FromSeconds(20) };
try
{
    await using var client = await PeerClient.ConnectAsync(endpoint, chain, options);
    var node = client.Remote;
    Console.WriteLine($"node      {node.NodeId} at {endpoint} ({node.UserAgent}, protocol {node.ProtocolVersion}{(node.IsMasternode ? ", masternode" : "")})");
    Console.WriteLine($"network   {node.NetworkName}, genesis {node.GenesisHash}");
    Console.WriteLine($"tip       height {node.BestHeight}, hash {node.TipHash} (at connect)");
    Console.WriteLine($"height    {await client.GetBestHeightAsync()} (asked now)");
    Console.WriteLine($"listens   {node.ListenAddress?.ToString() ?? "(not announced)"}");

    var peers = await client.GetPeersAsync();
    Console.WriteLine($"peers     {peers.Count} known address{(peers.Count == 1 ? "" : "es")}");
    foreach (var peer in peers)
        Console.WriteLine($"          {peer}");

    var masternodes = await client.GetMasternodesAsync();
    Console.WriteLine($"masternodes {masternodes.Count} signed announcement{(masternodes.Count == 1 ? "" : "s")}");
    foreach (var masternode in masternodes)
        Console.WriteLine($"          {masternode.MasternodeKey.ToShortString()} {masternode.Tier} at {masternode.Address}");
    return 0;
}
catch (PeerClientException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (TimeoutException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
