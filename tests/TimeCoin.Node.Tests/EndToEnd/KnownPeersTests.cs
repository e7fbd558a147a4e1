using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.EndToEnd;

public class KnownPeersTests
{
    private static Task<TimeNode> Start(ChainParameters chain, KeyPair identity, string dataDir, params string[] bootstrap) =>
        TimeNode.StartAsync(new TimeNodeOptions
        {
            Chain = chain,
            DataDirectory = dataDir,
            Identity = identity,
            Connections = new ConnectionManagerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                BootstrapPeers = bootstrap,
            },
        }, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);


    [Fact]
    public async Task Restart_WithoutBootstrapPeers_RedialsAddressesLearnedBefore()
    {
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        using var keyA = KeyPair.Generate();
        using var keyB = KeyPair.Generate();
        using var federation = KeyPair.Generate();
        var chain = ChainParameters.CreateDevnet([federation.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1);

        await using var a = await Start(chain, keyA, dirA.Path);
        var addressOfA = a.Connections.LocalEndPoint!.ToString();
        await using (var b = await Start(chain, keyB, dirB.Path, addressOfA))
            await Eventually.True(() => b.Connections.Peers.Count == 1, TimeSpan.FromSeconds(30), () => "B connects to its bootstrap peer A");

        // Second run of B: no bootstrap list at all, only what its database remembers.
        await using var again = await Start(chain, keyB, dirB.Path);
        await Eventually.True(() => again.Connections.Peers.Any(p => p.NodeId == keyA.PublicKey), TimeSpan.FromSeconds(30), () => "B redials A from its known peers");
    }
}
