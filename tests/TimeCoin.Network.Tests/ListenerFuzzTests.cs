using System.Diagnostics;
using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using static TimeCoin.Network.Tests.ConnectionTestKit;

namespace TimeCoin.Network.Tests;

/// <summary>A listening node fed 100,000 random and mutated frames by misbehaving peers while a good peer is served.</summary>
public class ListenerFuzzTests
{
    private const int FrameCount = 100_000;
    private const int GoodPeerEvery = 5_000;
    private static readonly NetworkMagic Magic = NetworkMagic.For(Chain);
    private static readonly IPAddress NodeIp = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress GoodIp = IPAddress.Parse("10.0.0.2");

    [Fact]
    public async Task Listener_100000FuzzedFramesFromMisbehavingPeers_StaysUpRecordsViolationsAndServesTheGoodPeer()
    {
        var rng = new Random(20260101);
        var network = new InMemoryNetwork();
        // Ban thresholds out of reach so that the attackers keep their connections and every frame reaches the node;
        // the violations are still scored.
        var policy = new PeerPolicyOptions { ShortBanThreshold = 10_000_000, LongBanThreshold = 20_000_000, PermanentBanThreshold = 30_000_000, MaxInboundPerIp = 100 };
        await using var node = new TestNode(network.CreateTransport(NodeIp), new ConnectionManagerOptions { ListenEndPoint = new IPEndPoint(NodeIp, 24200) },
            policyOptions: policy);
        await node.StartAsync();
        await using var good = await RawPeer.ConnectAsync(network.CreateTransport(GoodIp), node.EndPoint);
        Assert.True(good.Handshake!.IsSuccess);
        var samples = MessageCodecTests.Samples.Select(m => (m.Type, Payload: MessageCodec.Encode(m))).ToArray();
        var attackerIps = Enumerable.Range(1, 8).Select(i => IPAddress.Parse($"10.9.0.{i}")).ToArray();

        RawPeer? attacker = null;
        int connections = 0, closing = 0;
        ulong goodNonce = 1;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < FrameCount; i++)
        {
            if (attacker is null)
            {
                var ip = attackerIps[connections++ % attackerIps.Length];
                attacker = await RawPeer.ConnectAsync(network.CreateTransport(ip), node.EndPoint);
                Assert.True(attacker.Handshake!.IsSuccess, attacker.Handshake.Detail);
                attacker.StartDraining();
            }
            var (frame, closes) = BuildFrame(rng, samples);
            bool delivered;
            try
            {
                var flushed = await attacker.Connection.Output.WriteAsync(frame);
                delivered = !flushed.IsCompleted;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                delivered = false;
            }
            if (closes || !delivered || attacker.Closed)
            {
                closing += closes ? 1 : 0;
                await attacker.DisposeAsync();
                attacker = null;
            }
            if (i % GoodPeerEvery == 0)
                await AssertGoodPeerServedAsync(good, goodNonce++);
        }
        if (attacker is not null)
            await attacker.DisposeAsync();

        await AssertGoodPeerServedAsync(good, goodNonce++);
        await good.Writer.WriteAsync(new GetPeersMessage());
        await good.ExpectAsync<PeersMessage>();
        Assert.NotNull(node.Manager.FindPeer(good.Key.PublicKey));
        Assert.All(attackerIps, ip => Assert.True(node.Policy.GetViolationScore(ip) > 0, $"violations of {ip} are scored"));
        Assert.Equal(0, node.Policy.GetViolationScore(GoodIp));
        Assert.Contains(node.Manager.RecentDisconnects, d => d.Reason.StartsWith("protocol error", StringComparison.Ordinal));
        Assert.True(closing > 100, $"only {closing} connection-closing frames");
        // The listener still accepts and serves newcomers.
        await using var late = await RawPeer.ConnectAsync(network.CreateTransport(IPAddress.Parse("10.0.0.3")), node.EndPoint);
        Assert.True(late.Handshake!.IsSuccess);
        await late.Writer.WriteAsync(new PingMessage(77, 0, 0));
        await late.ExpectAsync<PongMessage>(p => p.Nonce == 77);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"fuzz took {watch.Elapsed}");
    }

    private static async Task AssertGoodPeerServedAsync(RawPeer good, ulong nonce)
    {
        Assert.True(await good.Writer.WriteAsync(new PingMessage(nonce, 0, 0)));
        var pong = await good.ExpectAsync<PongMessage>(p => p.Nonce == nonce, TimeSpan.FromSeconds(20));
        Assert.Equal(3UL, pong.Height);
    }

    private static (byte[] Frame, bool ClosesConnection) BuildFrame(Random rng, (MessageType Type, byte[] Payload)[] samples)
    {
        int roll = rng.Next(1000);
        var sample = samples[rng.Next(samples.Length)];
        if (roll < 4)
        {
            var frame = FrameFormat.ToArray(Magic, sample.Type, sample.Payload);
            frame[rng.Next(4)] ^= (byte)(1 + rng.Next(255)); // bad magic
            return (frame, true);
        }
        if (roll < 7)
        {
            var header = new byte[FrameFormat.HeaderSize];
            FrameFormat.WriteHeader(header, Magic, (ushort)sample.Type, (uint)rng.NextInt64(FrameFormat.DefaultMaxPayloadLength + 1L, uint.MaxValue + 1L), 0);
            return (header, true); // oversized: rejected from the header alone
        }
        if (roll < 10)
        {
            var body = sample.Payload.Length > 0 ? (byte[])sample.Payload.Clone() : [0];
            var frame = FrameFormat.ToArray(Magic, sample.Type, body);
            frame[FrameFormat.HeaderSize + rng.Next(body.Length)] ^= (byte)(1 << rng.Next(8)); // bad checksum
            return (frame, true);
        }
        if (roll < 200)
        {
            ushort unknown;
            do unknown = (ushort)rng.Next(0, 65536);
            while (MessageCodec.IsKnownType((MessageType)unknown));
            return (FrameFormat.ToArray(Magic, (MessageType)unknown, sample.Payload), false);
        }
        if (roll < 500)
        {
            var random = new byte[rng.Next(0, 200)];
            rng.NextBytes(random);
            var known = (MessageType)rng.Next((int)MessageType.Version, (int)MessageType.Masternodes + 1);
            return (FrameFormat.ToArray(Magic, known, random), false);
        }
        if (roll < 800 && sample.Payload.Length > 0)
        {
            var mutated = (byte[])sample.Payload.Clone();
            for (int flips = rng.Next(1, 4); flips > 0; flips--)
                mutated[rng.Next(mutated.Length)] ^= (byte)(1 + rng.Next(255));
            return (FrameFormat.ToArray(Magic, sample.Type, mutated), false);
        }
        return (FrameFormat.ToArray(Magic, sample.Type, sample.Payload), false);
    }
}
