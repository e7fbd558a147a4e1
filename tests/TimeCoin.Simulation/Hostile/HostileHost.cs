using System.Net;
using System.Security.Cryptography;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Networking;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Hostile;

/// <summary>
/// An attacker in the simulation: not a <c>TimeNode</c> but a host that speaks the wire protocol itself over the
/// simulated transport with the real pieces of TimeCoin.Network (frame reader and writer, message codec, handshake
/// driver with its own key), on its own context and clock, every choice drawn from the run seed. It dials its target
/// honest nodes, completes genuine handshakes and then does what its <see cref="HostileRole"/> says, reconnecting
/// after each close for as long as the run lasts. Every connection it opens is recorded with how it ended.
/// </summary>
internal sealed class HostileHost : IDisposable
{
    /// <summary>Announcements an announcer sends each target: 3,000 relayed singly, 2,000 relayed in one list, 5,000 forged.</summary>
    public const int AnnouncementsPerTarget = 10_000;

    /// <summary>The height a <see cref="HostileRole.QuietLiar"/> claims (its announcements count up from it).</summary>
    public const long QuietClaim = 1_000_000_000_000;

    /// <summary>Addresses an idler connects from (three connections each: the per-address inbound limit).</summary>
    public const int IdlerAddresses = 30;

    private const int RelayedSingly = 3_000;
    private const int RelayedInList = 2_000;

    /// <summary>One unsolicited Blocks payload just under the 4 MiB frame maximum (shared: the attackers only send it).</summary>
    private static readonly Lazy<byte[]> FloodPayload = new(() =>
        MessageCodec.Encode(new BlocksMessage([new byte[FrameFormat.DefaultMaxPayloadLength - 64]])));

    private readonly NetworkSimulation _sim;
    private readonly SimulationContext _context;
    private readonly SimulationClock _clock;
    private readonly Random _random;
    private readonly KeyPair _key;
    private readonly NetworkMagic _magic;
    private readonly List<SimulatedTransport> _transports = [];
    private readonly Dictionary<int, int> _announceCursor = [];
    private byte[][]? _madeUpKeys;
    private long _lies;

    /// <summary>Creates attacker <paramref name="index"/> (address 10.3.index.1, idlers also .2 to .30).</summary>
    public HostileHost(NetworkSimulation sim, int index, HostileRole role, IReadOnlyList<int> targets)
    {
        _sim = sim;
        Index = index;
        Role = role;
        Targets = targets;
        _context = sim.Scheduler.CreateContext($"hostile{index}", sim.Scheduler.CreateLane($"hostile{index}"));
        _clock = sim.Scheduler.CreateClock(_context);
        _random = new Random(NetworkSimulation.Derive(sim.Options.Seed, 20, index));
        _key = KeyPair.FromPrivateKey(SHA256.HashData(BitConverter.GetBytes(NetworkSimulation.Derive(sim.Options.Seed, 21, index))));
        _magic = NetworkMagic.For(sim.Chain);
        int addresses = role == HostileRole.Idler ? IdlerAddresses : 1;
        for (int a = 1; a <= addresses; a++)
            _transports.Add(sim.Network.CreateTransport(new IPAddress([10, 3, (byte)index, (byte)a]), _context, _clock));
    }

    /// <summary>Position among the attackers.</summary>
    public int Index { get; }

    /// <summary>What it does.</summary>
    public HostileRole Role { get; }

    /// <summary>The honest nodes (indexes) it attacks.</summary>
    public IReadOnlyList<int> Targets { get; }

    /// <summary>Its first address.</summary>
    public IPAddress Address => _transports[0].Address;

    /// <summary>Every address it connects from.</summary>
    public IEnumerable<IPAddress> Addresses => _transports.Select(t => t.Address);

    /// <summary>Every connection it opened.</summary>
    public List<HostileConnectionRecord> Connections { get; } = [];

    /// <summary>Dials that failed (refused at once, or not answered).</summary>
    public long DialsFailed { get; private set; }

    /// <summary>Connections the honest node closed before the handshake completed (banned address, full inbound, handshake timeout).</summary>
    public long HandshakesRefused { get; private set; }

    private TimeSpan Now => _sim.Elapsed;

    /// <summary>Starts attacking after <paramref name="delay"/> (each connection a few seeded seconds apart).</summary>
    public void Start(TimeSpan delay) => _sim.Scheduler.Schedule(_context, delay, () =>
    {
        foreach (var target in Targets)
        {
            if (Role == HostileRole.Idler)
            {
                foreach (var transport in _transports)
                {
                    _ = AttackLoopAsync(transport, target, silent: false);
                    _ = AttackLoopAsync(transport, target, silent: false);
                    _ = AttackLoopAsync(transport, target, silent: true);
                }
            }
            else
            {
                _ = AttackLoopAsync(_transports[0], target, silent: false);
            }
        }
    });

    /// <summary>The attacker's process ends: everything it had queued is dropped.</summary>
    public void Stop() => _context.Kill();

    private async Task AttackLoopAsync(SimulatedTransport transport, int target, bool silent)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(0, 10_000)), _clock);
        while (_context.IsAlive)
        {
            await ConnectOnceAsync(transport, target, silent);
            await Task.Delay(TimeSpan.FromSeconds(30 + _random.Next(0, 30)), _clock);
        }
    }

    private async Task ConnectOnceAsync(SimulatedTransport transport, int target, bool silent)
    {
        var node = _sim.Nodes[target];
        var endpoint = new IPEndPoint(node.Address, NetworkSimulation.Port);
        ITransportConnection connection;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _clock);
            connection = await transport.DialAsync(endpoint, timeout.Token);
        }
        catch (Exception ex) when (ex is TransportException or OperationCanceledException)
        {
            DialsFailed++;
            return;
        }
        var record = new HostileConnectionRecord { Role = Role, Source = transport.Address.ToString(), Target = target, OpenedAt = Now };
        Connections.Add(record);
        var reader = new MessageReader(new FrameReader(connection.Input, _magic), endpoint.Address, NullViolationSink.Instance);
        using var writer = new FrameWriter(connection.Output, _magic);
        try
        {
            if (silent)
            {
                // Connected, and never a word: the node's handshake timeout must end it.
                await ReadLoopAsync(reader, writer, record, answer: false);
                Ended(record, transport.Address, target);
                HandshakesRefused++;
                return;
            }
            ulong claimed = Role switch { HostileRole.Liar => ulong.MaxValue, HostileRole.QuietLiar => QuietClaim, _ => 0 };
            // An idler makes a key per connection (keys cost nothing): one key would make its connections duplicates
            // of one node, which the node closes as such.
            using var connectionKey = Role == HostileRole.Idler ? KeyPair.FromPrivateKey(SHA256.HashData(BitConverter.GetBytes(_random.NextInt64()))) : null;
            var key = connectionKey ?? _key;
            var info = new LocalNodeInfo(LocalNodeInfo.CurrentProtocolVersion, 1, _magic, _sim.Chain.NetworkName, _sim.Chain.GenesisHash,
                key.PublicKey, null, claimed, RandomHash(), Lies, "hostile/1.0");
            var driver = new HandshakeDriver(info, key, _clock, NullViolationSink.Instance, new HandshakeOptions { Timeout = TimeSpan.FromSeconds(20) },
                () => (ulong)_random.NextInt64());
            var result = await driver.RunAsync(connection, reader, writer, info);
            if (!result.IsSuccess)
            {
                Ended(record, transport.Address, target);
                HandshakesRefused++;
                return;
            }
            record.HandshakeAt = Now;
            using var stop = new CancellationTokenSource();
            var attack = Role switch
            {
                HostileRole.Flooder => FloodAsync(writer, record, stop.Token),
                HostileRole.Liar or HostileRole.QuietLiar => LieAsync(writer, record, stop.Token),
                HostileRole.Announcer => AnnounceAsync(writer, record, target, stop.Token),
                _ => Task.CompletedTask,
            };
            await ReadLoopAsync(reader, writer, record, answer: Role != HostileRole.Idler);
            Ended(record, transport.Address, target);
            stop.Cancel(); // synchronously: CancelAsync would run the callbacks on the thread pool
            try
            {
                await attack;
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            connection.Close();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The honest node ended the connection: a ban if its policy bans the address, a drop otherwise. The node is
    /// another host: its policy is read at the next barrier (within one lookahead), when every lane is paused.
    /// </summary>
    private void Ended(HostileConnectionRecord record, IPAddress source, int target)
    {
        record.ClosedAt ??= Now;
        if (record.Outcome is not null)
            return;
        _context.Lane.AtBarrier(() => record.Outcome ??= _sim.Nodes[target].Node?.Policy.IsBanned(source) == true ? "banned" : "dropped");
    }

    /// <summary>Reads until the node closes; answers pings (with an absurd height for a liar) unless told not to.</summary>
    private async Task ReadLoopAsync(MessageReader reader, FrameWriter writer, HostileConnectionRecord record, bool answer)
    {
        while (true)
        {
            var read = await reader.ReadAsync();
            if (read.Status == MessageReadStatus.Error && !read.Error!.ClosesConnection)
                continue;
            if (read.Status != MessageReadStatus.Message)
                return;
            if (!answer)
                continue;
            NetworkMessage? reply = read.Message switch
            {
                PingMessage ping => new PongMessage(ping.Nonce, _clock.GetUtcNow().ToUnixTimeMilliseconds(),
                    Role switch { HostileRole.Liar => ulong.MaxValue, HostileRole.QuietLiar => QuietClaim + (ulong)_lies, _ => 0 }),
                // The liar answers requests, with nothing: it proves none of what it claims.
                GetHeadersMessage when Lies => new HeadersMessage([]),
                GetBlocksMessage when Lies => new BlocksMessage([]),
                _ => null,
            };
            if (reply is not null)
                await SendAsync(writer, record, reply.Type, MessageCodec.Encode(reply), CancellationToken.None);
        }
    }

    private async Task<bool> SendAsync(FrameWriter writer, HostileConnectionRecord record, MessageType type, byte[] payload, CancellationToken token)
    {
        // The attack loops and the read loop's replies share one writer. Its lock is a SemaphoreSlim, and a contended
        // WaitAsync given a cancellable token resumes through the thread pool (SemaphoreSlim's own continuation), which
        // the simulation rightly fails as a thread leak; without a token the waiter resumes on the releasing (the
        // simulation's) thread. So the token is checked here rather than passed (found by `run i` at 100 nodes).
        token.ThrowIfCancellationRequested();
        if (!await writer.WriteAsync(type, payload, CancellationToken.None))
            return false;
        record.MessagesSent++;
        record.BytesSent += FrameFormat.HeaderSize + payload.Length;
        return true;
    }

    /// <summary>An unsolicited 4 MiB Blocks message every 2 s.</summary>
    private async Task FloodAsync(FrameWriter writer, HostileConnectionRecord record, CancellationToken token)
    {
        while (await SendAsync(writer, record, MessageType.Blocks, FloodPayload.Value, token))
            await Task.Delay(TimeSpan.FromSeconds(2), _clock, token);
    }

    private bool Lies => Role is HostileRole.Liar or HostileRole.QuietLiar;

    /// <summary>
    /// A block announcement at an absurd height (with a made-up hash) every 10 s: near 2^64 for a liar (it does not fit
    /// a height), counting up from <see cref="QuietClaim"/> for a quiet liar.
    /// </summary>
    private async Task LieAsync(FrameWriter writer, HostileConnectionRecord record, CancellationToken token)
    {
        while (true)
        {
            var hash = RandomHash(); // drawn before the height, as (i)'s liars always did (the run replays the same)
            ulong height = Role == HostileRole.QuietLiar ? QuietClaim + (ulong)++_lies : ulong.MaxValue - (ulong)_random.Next(0, 1000);
            var lie = new BlockAnnouncementMessage(hash, height);
            if (!await SendAsync(writer, record, lie.Type, MessageCodec.Encode(lie), token))
                return;
            await Task.Delay(TimeSpan.FromSeconds(10), _clock, token);
        }
    }

    /// <summary>
    /// The target's 10,000 announcements, continuing where the last connection to it stopped: 3,000
    /// genuinely signed ones for made-up masternodes one by one (relayed: not the sender's key, addresses nobody
    /// listens on; above the gossip burst), 2,000 more in one Masternodes list, then 5,000 forged ones (bad signature).
    /// Each is signed when sent, as a real attacker would do: an announcement signed at the start of the attack is
    /// too old two minutes later, and the node drops it before any signature check (a stale pool made the attacker
    /// harmless and unpunishable from the second connection on; scenario i at 2 h, session 9).
    /// </summary>
    private async Task AnnounceAsync(FrameWriter writer, HostileConnectionRecord record, int target, CancellationToken token)
    {
        var keys = _madeUpKeys ??= MadeUpKeys();
        int cursor = _announceCursor.GetValueOrDefault(target);
        while (cursor < AnnouncementsPerTarget)
        {
            bool sent;
            if (cursor == RelayedSingly)
            {
                var list = new MasternodesMessage(Enumerable.Range(RelayedSingly, RelayedInList).Select(i => (ReadOnlyMemory<byte>)Announcement(keys, i)).ToArray());
                sent = await SendAsync(writer, record, list.Type, MessageCodec.Encode(list), token);
                if (sent)
                    cursor += RelayedInList;
            }
            else
            {
                var single = new MasternodeAnnouncementMessage(Announcement(keys, cursor));
                sent = await SendAsync(writer, record, single.Type, MessageCodec.Encode(single), token);
                if (sent)
                    cursor++;
            }
            _announceCursor[target] = cursor;
            if (!sent)
                return;
        }
        // Then it keeps at it for as long as it stays connected: a forged announcement every 10 s (a burst whose
        // excess the rate limit dropped unread costs one violation; a persistent attacker meets the signature check).
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), _clock, token);
            var forged = new MasternodeAnnouncementMessage(Announcement(keys, RelayedSingly + RelayedInList + _random.Next(0, AnnouncementsPerTarget - RelayedSingly - RelayedInList)));
            if (!await SendAsync(writer, record, forged.Type, MessageCodec.Encode(forged), token))
                return;
        }
    }

    /// <summary>
    /// The private keys of the 10,000 made-up masternodes (derived from the run seed and the host's index), as bytes:
    /// a live key pair holds guarded native memory (several memory mappings each), and 10,000 of them per announcer
    /// exhausted the process's mappings at 100 nodes.
    /// </summary>
    private byte[][] MadeUpKeys()
    {
        var keys = new byte[AnnouncementsPerTarget][];
        for (int i = 0; i < keys.Length; i++)
        {
            long seed = ((long)NetworkSimulation.Derive(_sim.Options.Seed, 23, Index) << 32) | (uint)i;
            keys[i] = SHA256.HashData(BitConverter.GetBytes(seed));
        }
        return keys;
    }

    /// <summary>Made-up masternode <paramref name="i"/> at 10.(100+index).x.y (nothing listens there), signed now; from 5,000 on with a corrupted signature.</summary>
    private byte[] Announcement(byte[][] keys, int i)
    {
        var address = $"10.{100 + Index}.{i / 250}.{i % 250 + 1}:{NetworkSimulation.Port}";
        using var key = KeyPair.FromPrivateKey(keys[i]);
        var bytes = MasternodeAnnouncement.Create(key, _sim.Chain.NetworkName, address, MasternodeTier.Free, _clock.GetUtcNow()).Encode();
        if (i >= RelayedSingly + RelayedInList)
            bytes[^1] ^= 0x5A;
        return bytes;
    }

    private Hash256 RandomHash()
    {
        Span<byte> bytes = stackalloc byte[32];
        _random.NextBytes(bytes);
        return new Hash256(bytes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _context.Kill();
        _key.Dispose();
    }
}
