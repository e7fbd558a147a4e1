using System.Buffers.Binary;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Tests;

public class FrameFuzzTests
{
    private const int FrameCount = 100_000;
    private static readonly NetworkMagic Magic = NetworkMagic.Devnet;
    private static readonly IPAddress Attacker = IPAddress.Parse("10.6.6.6");
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private enum Mutation { BadMagic, Oversized, BadChecksum, UnknownType, RandomPayloadOfKnownType, MutatedPayloadOfKnownType, Garbage, WellFormed }

    private sealed class Session(ITransportConnection attacker, ITransportConnection server, RecordingViolationSink sink)
    {
        public ITransportConnection AttackerSide { get; } = attacker;
        public ITransportConnection ServerSide { get; } = server;
        public MessageReader Reader { get; } = new(new FrameReader(server.Input, Magic), server.RemoteEndPoint.Address, sink);
    }

    [Fact]
    public async Task ReadAsync_100000RandomAndMutatedFrames_EveryBadFrameIsAnErrorValueAndGoodFramesStillDecode()
    {
        var rng = new Random(20240501);
        var network = new InMemoryNetwork();
        await using var listener = await network.CreateTransport(IPAddress.Parse("10.0.0.1")).ListenAsync(new IPEndPoint(IPAddress.Any, 24100));
        var attackerTransport = network.CreateTransport(Attacker);
        var sink = new RecordingViolationSink();
        var samples = MessageCodecTests.Samples.Select(m => (m.Type, Payload: MessageCodec.Encode(m))).ToArray();

        async Task<Session> ConnectAsync()
        {
            var attacker = await attackerTransport.DialAsync(listener.LocalEndPoint);
            var server = (await listener.AcceptAsync().AsTask().WaitAsync(Guard))!;
            return new Session(attacker, server, sink);
        }

        var session = await ConnectAsync();
        int errors = 0, messages = 0, reconnects = 0, goodAfterReconnect = 0;
        var seen = new Dictionary<Mutation, int>();
        for (int i = 0; i < FrameCount; i++)
        {
            var mutation = (Mutation)rng.Next(Enum.GetValues<Mutation>().Length);
            seen[mutation] = seen.GetValueOrDefault(mutation) + 1;
            var sample = samples[rng.Next(samples.Length)];
            byte[] frame = Build(mutation, sample.Type, sample.Payload, rng);

            await session.AttackerSide.Output.WriteAsync(frame);
            var result = await session.Reader.ReadAsync().AsTask().WaitAsync(Guard);

            switch (mutation)
            {
                case Mutation.WellFormed:
                    Assert.Equal(MessageReadStatus.Message, result.Status);
                    Assert.Equal(sample.Payload, MessageCodec.Encode(result.Message!));
                    break;
                case Mutation.RandomPayloadOfKnownType:
                case Mutation.MutatedPayloadOfKnownType:
                    Assert.True(result.Status == MessageReadStatus.Message || result.Error?.Kind == ProtocolErrorKind.Undecodable,
                        $"frame {i}: {mutation} gave {result}");
                    break;
                default:
                    Assert.Equal(MessageReadStatus.Error, result.Status);
                    Assert.Equal(Expected(mutation), result.Error!.Kind);
                    break;
            }
            if (result.Status == MessageReadStatus.Error)
                errors++;
            else
                messages++;

            if (result.MustClose)
            {
                // Frame sync is lost: close, reconnect, and prove a well-formed frame decodes on the new connection.
                session.ServerSide.Close();
                await session.ServerSide.DisposeAsync();
                await session.AttackerSide.DisposeAsync();
                session = await ConnectAsync();
                reconnects++;
                var good = samples[rng.Next(samples.Length)];
                await session.AttackerSide.Output.WriteAsync(FrameFormat.ToArray(Magic, good.Type, good.Payload));
                var decoded = await session.Reader.ReadAsync().AsTask().WaitAsync(Guard);
                Assert.Equal(MessageReadStatus.Message, decoded.Status);
                Assert.Equal(good.Payload, MessageCodec.Encode(decoded.Message!));
                goodAfterReconnect++;
            }
        }

        Assert.All(Enum.GetValues<Mutation>(), m => Assert.True(seen.GetValueOrDefault(m) > 5000, $"{m} ran {seen.GetValueOrDefault(m)} times"));
        Assert.Equal(FrameCount, errors + messages);
        Assert.Equal(errors, sink.Records.Count);
        Assert.All(sink.Records, r => Assert.Equal(Attacker, r.Remote));
        Assert.Equal(reconnects, goodAfterReconnect);
        Assert.True(reconnects > FrameCount / 3, $"only {reconnects} fatal errors");
        Assert.True(network.OpenConnectionCount <= 1);
    }

    private static ProtocolErrorKind Expected(Mutation mutation) => mutation switch
    {
        Mutation.BadMagic or Mutation.Garbage => ProtocolErrorKind.BadMagic,
        Mutation.Oversized => ProtocolErrorKind.Oversized,
        Mutation.BadChecksum => ProtocolErrorKind.BadChecksum,
        _ => ProtocolErrorKind.UnknownType,
    };

    private static byte[] Build(Mutation mutation, MessageType type, byte[] payload, Random rng)
    {
        switch (mutation)
        {
            case Mutation.BadMagic:
            {
                var frame = FrameFormat.ToArray(Magic, type, payload);
                uint other;
                do other = (uint)rng.NextInt64(0, uint.MaxValue + 1L);
                while (other == Magic.Value);
                BinaryPrimitives.WriteUInt32LittleEndian(frame, other);
                return frame;
            }
            case Mutation.Oversized:
            {
                var header = new byte[FrameFormat.HeaderSize];
                uint length = (uint)rng.NextInt64(FrameFormat.DefaultMaxPayloadLength + 1L, uint.MaxValue + 1L);
                FrameFormat.WriteHeader(header, Magic, (ushort)type, length, (uint)rng.Next());
                return header; // only the header: the reader must not wait for the body
            }
            case Mutation.BadChecksum:
            {
                var body = payload.Length > 0 ? (byte[])payload.Clone() : [0];
                var frame = FrameFormat.ToArray(Magic, type, body);
                int at = FrameFormat.HeaderSize + rng.Next(body.Length);
                frame[at] ^= (byte)(1 << rng.Next(8));
                return frame;
            }
            case Mutation.UnknownType:
            {
                ushort unknown;
                do unknown = (ushort)rng.Next(0, 65536);
                while (MessageCodec.IsKnownType((MessageType)unknown));
                return FrameFormat.ToArray(Magic, (MessageType)unknown, payload);
            }
            case Mutation.RandomPayloadOfKnownType:
            {
                var random = new byte[rng.Next(0, 300)];
                rng.NextBytes(random);
                var known = (MessageType)rng.Next((int)MessageType.Version, (int)MessageType.Masternodes + 1);
                return FrameFormat.ToArray(Magic, known, random);
            }
            case Mutation.MutatedPayloadOfKnownType:
            {
                var mutated = payload.ToList();
                int edits = rng.Next(1, 4);
                for (int e = 0; e < edits; e++)
                {
                    int op = rng.Next(3);
                    if (op == 0 && mutated.Count > 0)
                        mutated[rng.Next(mutated.Count)] = (byte)rng.Next(256);
                    else if (op == 1 && mutated.Count > 0)
                        mutated.RemoveRange(rng.Next(mutated.Count), 1);
                    else
                        mutated.Insert(rng.Next(mutated.Count + 1), (byte)rng.Next(256));
                }
                return FrameFormat.ToArray(Magic, type, mutated.ToArray());
            }
            case Mutation.Garbage:
            {
                var garbage = new byte[rng.Next(4, 64)];
                do rng.NextBytes(garbage);
                while (BinaryPrimitives.ReadUInt32LittleEndian(garbage) == Magic.Value);
                return garbage;
            }
            default:
                return FrameFormat.ToArray(Magic, type, payload);
        }
    }
}
