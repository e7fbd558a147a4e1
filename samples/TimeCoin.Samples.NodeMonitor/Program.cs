// A monitor built on the TimeCoin.Network package: it connects to a running time-node as an ordinary peer (its own
// throw-away node key), completes the real handshake (network, genesis and a signed acknowledgement), prints the
// node's tip from its version message, asks for the peers and masternodes it knows, prints them and disconnects.
//
// Run against a local devnet node (see samples/README.md):
//   dotnet run --project samples/TimeCoin.Samples.NodeMonitor -- 127.0.0.1:24200 devnet
// Exit codes: 0 the node answered, 1 bad arguments, 2 the node could not be reached or the handshake failed.
using System.Net;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

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

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
using var key = KeyPair.Generate();
var magic = NetworkMagic.For(chain);
var us = new LocalNodeInfo(
    LocalNodeInfo.CurrentProtocolVersion, LocalNodeInfo.CurrentProtocolVersion, magic, chain.NetworkName, chain.GenesisHash,
    key.PublicKey, ListenAddress: null, BestHeight: 0, chain.GenesisHash, IsMasternode: false, "TimeCoin.Samples.NodeMonitor/0.1");

ITransportConnection connection;
try
{
    connection = await new TcpTransport().DialAsync(endpoint, timeout.Token);
}
catch (Exception e) when (e is TransportException or OperationCanceledException)
{
    Console.Error.WriteLine($"cannot connect to {endpoint}: {e.Message}");
    return 2;
}

await using (connection)
{
    var reader = new MessageReader(new FrameReader(connection.Input, magic), endpoint.Address, NullViolationSink.Instance);
    using var writer = new FrameWriter(connection.Output, magic);
    var handshake = await new HandshakeDriver(us, key, TimeProvider.System, NullViolationSink.Instance)
        .RunAsync(connection, reader, writer, cancellationToken: timeout.Token);
    if (!handshake.IsSuccess)
    {
        Console.Error.WriteLine($"handshake with {endpoint} failed: {handshake.Failure}: {handshake.Detail}");
        return 2;
    }

    var node = handshake.Remote!;
    Console.WriteLine($"node      {node.NodeId} at {endpoint} ({node.UserAgent}, protocol {node.ProtocolVersion}{(node.IsMasternode ? ", masternode" : "")})");
    Console.WriteLine($"network   {node.NetworkName}, genesis {node.GenesisHash}");
    Console.WriteLine($"tip       height {node.BestHeight}, hash {node.TipHash}");
    Console.WriteLine($"listens   {node.ListenAddress?.ToString() ?? "(not announced)"}");

    await writer.WriteAsync(new GetPeersMessage(), timeout.Token);
    await writer.WriteAsync(new GetMasternodesMessage(), timeout.Token);
    IReadOnlyList<IPEndPoint>? peers = null;
    int? masternodes = null;
    while (peers is null || masternodes is null)
    {
        var read = await reader.ReadAsync(timeout.Token);
        switch (read.Status)
        {
            case MessageReadStatus.Message when read.Message is PeersMessage answer:
                peers = answer.Peers;
                break;
            case MessageReadStatus.Message when read.Message is MasternodesMessage answer:
                masternodes = answer.Announcements.Count;
                break;
            case MessageReadStatus.Message when read.Message is PingMessage ping:
                // Stay a good peer while we wait: answer its liveness probe.
                await writer.WriteAsync(new PongMessage(ping.Nonce, ping.Timestamp, 0), timeout.Token);
                break;
            case MessageReadStatus.Message:
                break; // block announcements, heartbeats, header requests: not what we asked for
            case MessageReadStatus.Canceled:
                Console.Error.WriteLine("the node did not answer within 20 s");
                return 2;
            default:
                Console.Error.WriteLine($"the node closed the connection: {read.CloseReason ?? read.Error?.ToString()}");
                return 2;
        }
    }

    Console.WriteLine($"peers     {peers.Count} known address{(peers.Count == 1 ? "" : "es")}");
    foreach (var peer in peers)
        Console.WriteLine($"          {peer}");
    Console.WriteLine($"masternodes {masternodes} signed announcement{(masternodes == 1 ? "" : "s")}");
    connection.Close();
}

return 0;
