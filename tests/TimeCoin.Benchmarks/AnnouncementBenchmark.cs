using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Connections;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Benchmarks;

/// <summary>
/// <c>announce</c>: how fast one node takes masternode announcements. A peer over loopback TCP sends N genuinely
/// signed announcements of made-up masternodes (distinct addresses, as an attacker or a large network would) in
/// MasternodeGossip batches of 1,000 (a Masternodes list is taken only in answer to the node's own request, since
/// session 9); the sender's address is whitelisted in the node's config, so the announcement rate limit does not
/// apply. The figure is announcements taken per second, from the first batch sent until the node's registry holds
/// them all, with the address book filling up to its cap on the way.
/// </summary>
public static class AnnouncementBenchmark
{
    /// <summary>Runs the benchmark; <c>--announcements N</c> (default 10,000).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        int count = 10_000;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--announcements" && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                count = n;
        }
        return RunAsync(output, count).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(TextWriter output, int count)
    {
        using var producer = KeyPair.FromPrivateKey(SHA256.HashData("bench announce producer"u8));
        var chain = ChainParameters.CreateDevnet([producer.PublicKey], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 10, blockTimeSeconds: 1);
        var dataDir = Path.Combine(Path.GetTempPath(), "timecoin-bench-announce-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            using var identity = KeyPair.Generate();
            var options = new TimeNodeOptions
            {
                Chain = chain,
                DataDirectory = dataDir,
                Identity = identity,
                Seed = 7,
                Connections = new ConnectionManagerOptions
                {
                    ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), TargetOutbound = 0,
                    WhitelistedPeers = [IPAddress.Loopback.ToString()], // no rate limit: the figure is the node's own speed
                },
            };
            await using var node = await TimeNode.StartAsync(options, new TcpTransport(), TimeProvider.System, NullLoggerFactory.Instance);

            // The announcements (signing is not timed): made-up masternodes at non-routable addresses.
            var now = DateTimeOffset.UtcNow;
            var announcements = new ReadOnlyMemory<byte>[count];
            for (int i = 0; i < count; i++)
            {
                using var key = KeyPair.FromPrivateKey(SHA256.HashData(BitConverter.GetBytes((long)i + 1)));
                announcements[i] = MasternodeAnnouncement.Create(key, chain.NetworkName, $"10.{200 + i / 62_500}.{i / 250 % 250}.{i % 250 + 1}:24100",
                    MasternodeTier.Free, now).Encode();
            }

            using var senderKey = KeyPair.Generate();
            var magic = NetworkMagic.For(chain);
            var info = new LocalNodeInfo(LocalNodeInfo.CurrentProtocolVersion, 1, magic, chain.NetworkName, chain.GenesisHash, senderKey.PublicKey,
                null, 0, chain.GenesisHash, false, "bench/1.0");
            await using var connection = await new TcpTransport().DialAsync(node.Connections.LocalEndPoint!);
            var reader = new MessageReader(new FrameReader(connection.Input, magic), connection.RemoteEndPoint.Address, NullViolationSink.Instance);
            using var writer = new FrameWriter(connection.Output, magic);
            var handshake = await new HandshakeDriver(info, senderKey, TimeProvider.System, NullViolationSink.Instance).RunAsync(connection, reader, writer, info);
            if (!handshake.IsSuccess)
            {
                output.WriteLine($"handshake failed: {handshake.Failure}: {handshake.Detail}");
                return 1;
            }
            using var stop = new CancellationTokenSource();
            var drain = DrainAsync(reader, writer, stop.Token); // answer pings, read whatever the node sends

            int before = node.Masternodes.Count;
            var watch = Stopwatch.StartNew();
            foreach (var batch in announcements.Chunk(1000)) // ProtocolLimits.MaxGossipAnnouncementsPerBatch
                await writer.WriteAsync(new MasternodeGossipMessage(batch, []));
            var last = watch.Elapsed;
            int taken = 0;
            while (watch.Elapsed - last < TimeSpan.FromSeconds(3) && taken < count)
            {
                await Task.Delay(10);
                int now2 = node.Masternodes.Count - before;
                if (now2 != taken)
                {
                    taken = now2;
                    last = watch.Elapsed;
                }
            }
            await stop.CancelAsync();
            output.WriteLine($"announcements: {taken} of {count} taken in {last.TotalSeconds:0.000} s = {taken / Math.Max(0.001, last.TotalSeconds):0} per second " +
                $"(known addresses {node.Connections.KnownAddressCount}, cap {options.Connections.MaxKnownAddresses})");
            output.WriteLine($"machine load (1 min average): {MachineLoad.Describe()}");
            connection.Close();
            try
            {
                await drain;
            }
            catch (OperationCanceledException)
            {
            }
            return taken == count ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task DrainAsync(MessageReader reader, FrameWriter writer, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            var read = await reader.ReadAsync(token);
            if (read.Status is MessageReadStatus.Closed or MessageReadStatus.Canceled)
                return;
            if (read.Message is PingMessage ping)
                await writer.WriteAsync(new PongMessage(ping.Nonce, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0), token);
        }
    }
}
