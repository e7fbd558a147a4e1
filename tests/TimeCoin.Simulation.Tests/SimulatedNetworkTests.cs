using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using TimeCoin.Network.Protocol;
using TimeCoin.Network.Transport;
using TimeCoin.Simulation.Networking;
using TimeCoin.Simulation.Runtime;

namespace TimeCoin.Simulation.Tests;

public class SimulatedNetworkTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.1.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.1.0.2");

    private sealed class Harness
    {
        public Harness()
        {
            Scheduler = new SimulationScheduler(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new TraceHash());
            Network = new SimulatedNetwork(Scheduler, new Random(1))
            {
                Profiles = (_, _) => new LinkProfile { BaseLatency = TimeSpan.FromMilliseconds(100), BytesPerSecond = double.PositiveInfinity },
            };
            ContextA = Scheduler.CreateContext("a");
            ContextB = Scheduler.CreateContext("b");
            TransportA = Network.CreateTransport(A, ContextA, Scheduler.CreateClock(ContextA));
            TransportB = Network.CreateTransport(B, ContextB, Scheduler.CreateClock(ContextB));
        }

        public SimulationScheduler Scheduler { get; }
        public SimulatedNetwork Network { get; }
        public SimulationContext ContextA { get; }
        public SimulationContext ContextB { get; }
        public SimulatedTransport TransportA { get; }
        public SimulatedTransport TransportB { get; }

        /// <summary>Connects A to B; returns both ends once accepted.</summary>
        public (ITransportConnection Dialer, ITransportConnection Accepted) Connect()
        {
            ITransportConnection? dialer = null, accepted = null;
            ContextB.Post(async _ =>
            {
                var listener = await TransportB.ListenAsync(new IPEndPoint(B, 24000));
                accepted = await listener.AcceptAsync();
            }, null);
            Scheduler.RunPending();
            ContextA.Post(async _ => dialer = await TransportA.DialAsync(new IPEndPoint(B, 24000)), null);
            Scheduler.RunUntil(Scheduler.Elapsed + TimeSpan.FromSeconds(1));
            return (dialer!, accepted!);
        }

        /// <summary>Writes one ping frame on <paramref name="connection"/> and records when each frame is read on <paramref name="reader"/>.</summary>
        public List<TimeSpan> Receive(ITransportConnection reader)
        {
            var arrivals = new List<TimeSpan>();
            ContextB.Post(async _ =>
            {
                while (true)
                {
                    var result = await reader.Input.ReadAsync();
                    var buffer = result.Buffer;
                    while (buffer.Length >= FrameFormat.HeaderSize + 16)
                    {
                        arrivals.Add(Scheduler.Elapsed);
                        buffer = buffer.Slice(FrameFormat.HeaderSize + 16);
                    }
                    reader.Input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                        return;
                }
            }, null);
            return arrivals;
        }

        public void Send(ITransportConnection writer)
        {
            ContextA.Post(async _ =>
            {
                FrameFormat.Write(writer.Output, new NetworkMagic(1), MessageType.Ping, new byte[16]);
                await writer.Output.FlushAsync();
            }, null);
        }
    }

    [Fact]
    public void Dial_LinkWith100msLatency_ConnectsAfterOneRoundTripAndDeliversAfterOneLatency()
    {
        var h = new Harness();
        var (dialer, accepted) = h.Connect();
        var arrivals = h.Receive(accepted);
        var sentAt = h.Scheduler.Elapsed;

        h.Send(dialer);
        h.Scheduler.RunUntil(sentAt + TimeSpan.FromSeconds(1));

        Assert.NotNull(dialer);
        Assert.Equal([sentAt + TimeSpan.FromMilliseconds(100)], arrivals);
    }

    [Fact]
    public void Send_DuringPartition_HeldWithDoublingRetransmissionsAndDeliveredInOrderAfterHeal()
    {
        var h = new Harness();
        var (dialer, accepted) = h.Connect();
        var arrivals = h.Receive(accepted);
        var start = h.Scheduler.Elapsed;
        h.Network.Partition = (from, to) => from.Equals(A);

        h.Send(dialer);
        h.Send(dialer);
        h.Scheduler.RunUntil(start + TimeSpan.FromSeconds(10));
        Assert.Empty(arrivals);

        h.Network.Partition = null;
        h.Scheduler.RunUntil(start + TimeSpan.FromSeconds(30));

        // Held at 0.1 s, retried after 0.2, 0.4, 0.8, 1.6, 3.2, 6.4 s (at 12.7 s, after the heal at 10 s): both frames then, in order.
        var expected = start + TimeSpan.FromMilliseconds(100 + 200 + 400 + 800 + 1600 + 3200 + 6400);
        Assert.Equal([expected, expected], arrivals);
    }

    [Fact]
    public void CrashHost_OpenConnection_PeerReadsEndOneLatencyLater()
    {
        var h = new Harness();
        var (_, accepted) = h.Connect();
        TimeSpan? endedAt = null;
        Exception? error = null;
        h.ContextB.Post(async _ =>
        {
            try
            {
                while (!(await accepted.Input.ReadAsync()).IsCompleted)
                {
                }
            }
            catch (IOException ex)
            {
                error = ex;
            }
            endedAt = h.Scheduler.Elapsed;
        }, null);
        var crashAt = h.Scheduler.Elapsed;

        h.ContextA.Kill();
        h.Network.CrashHost(A);
        h.Scheduler.RunUntil(crashAt + TimeSpan.FromSeconds(1));

        Assert.Equal(crashAt + TimeSpan.FromMilliseconds(100), endedAt);
        Assert.IsType<IOException>(error);
    }

    [Fact]
    public void Flush_MoreThanTheWindowUnacknowledged_WaitsUntilTheAcknowledgementMakesRoom()
    {
        var h = new Harness();
        h.Network.WindowBytes = 1000;
        var (dialer, accepted) = h.Connect();
        var arrivals = new List<TimeSpan>();
        h.ContextB.Post(async _ =>
        {
            while (true)
            {
                var result = await accepted.Input.ReadAsync();
                var buffer = result.Buffer;
                while (buffer.Length >= FrameFormat.HeaderSize + 600)
                {
                    arrivals.Add(h.Scheduler.Elapsed);
                    buffer = buffer.Slice(FrameFormat.HeaderSize + 600);
                }
                accepted.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    return;
            }
        }, null);
        var flushed = new List<TimeSpan>();
        var start = h.Scheduler.Elapsed;
        h.ContextA.Post(async _ =>
        {
            for (int i = 0; i < 3; i++)
            {
                FrameFormat.Write(dialer.Output, new NetworkMagic(1), MessageType.Ping, new byte[600]);
                await dialer.Output.FlushAsync();
                flushed.Add(h.Scheduler.Elapsed);
            }
        }, null);
        h.Scheduler.RunUntil(start + TimeSpan.FromSeconds(1));

        // 614 bytes unacknowledged fit the window; the second frame puts 1,228 unacknowledged, so its flush returns only
        // when the receiver's acknowledgement makes room: both frames arrive one latency (100 ms) later, the
        // acknowledgement one more latency after that; the third then fits at once and arrives one latency later.
        var latency = TimeSpan.FromMilliseconds(100);
        Assert.Equal([start, start + 2 * latency, start + 2 * latency], flushed);
        Assert.Equal([start + latency, start + latency, start + 3 * latency], arrivals);
    }

    /// <summary>
    /// The window length must not exceed the smallest link latency: a frame that would arrive inside the window it
    /// was sent in (here: 100 ms links, a 1 s window) fails the run instead of reaching the other lane too late.
    /// </summary>
    [Fact]
    public void Send_LookaheadLongerThanTheLinkLatency_FailsTheRun()
    {
        var h = new Harness();
        var (dialer, _) = h.Connect();
        Assert.Equal(TimeSpan.FromMilliseconds(100), h.Scheduler.Lookahead);
        h.Scheduler.Lookahead = TimeSpan.FromSeconds(1);

        h.Send(dialer);
        var error = Assert.Throws<InvalidOperationException>(() => h.Scheduler.RunUntil(h.Scheduler.Elapsed + TimeSpan.FromSeconds(2)));
        Assert.Contains("lookahead", error.Message);
    }

    [Fact]
    public void Send_FrameWrittenInTwoFlushes_ArrivesWholeOneLatencyAfterItsLastByte()
    {
        var h = new Harness();
        var (dialer, accepted) = h.Connect();
        var arrivals = h.Receive(accepted);
        var frame = FrameFormat.ToArray(new NetworkMagic(1), MessageType.Ping, new byte[16]);
        var start = h.Scheduler.Elapsed;
        h.ContextA.Post(async _ =>
        {
            dialer.Output.Write(frame.AsSpan(0, 10));
            await dialer.Output.FlushAsync();
        }, null);
        h.Scheduler.RunUntil(start + TimeSpan.FromSeconds(1));
        Assert.Empty(arrivals);

        var second = h.Scheduler.Elapsed;
        h.ContextA.Post(async _ =>
        {
            dialer.Output.Write(frame.AsSpan(10));
            await dialer.Output.FlushAsync();
        }, null);
        h.Scheduler.RunUntil(second + TimeSpan.FromSeconds(1));

        Assert.Equal([second + TimeSpan.FromMilliseconds(100)], arrivals);
    }

    [Fact]
    public void Close_AfterFrames_ReaderGetsTheFramesThenTheEnd()
    {
        var h = new Harness();
        var (dialer, accepted) = h.Connect();
        var arrivals = h.Receive(accepted);
        var start = h.Scheduler.Elapsed;
        h.Send(dialer);
        h.Send(dialer);
        h.ContextA.Post(_ => dialer.Close(), null);
        h.Scheduler.RunUntil(start + TimeSpan.FromSeconds(1));

        Assert.Equal([start + TimeSpan.FromMilliseconds(100), start + TimeSpan.FromMilliseconds(100)], arrivals);
        Assert.True(accepted.IsClosed);
    }
}
