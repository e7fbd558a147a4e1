using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Network.Transport;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node.Tests.Hosting;

/// <summary>
/// The devnet's partition over real loopback TCP. A TCP close is a half-close (FIN after what was written, then a drain
/// of up to 2 s before the socket is released), so a local read ends only at the remote's FIN or at the release. The
/// partition closes both ends of every link across (both nodes live in the devnet's process), so each end's FIN ends
/// the other's read at once. The drain clock here never moves: a read that ended did not wait for a drain to time out.
/// </summary>
[Trait("Category", "Slow")]
public class DevnetLinksTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SetPartition_LinkAcrossOverTcp_BothEndsReadTheEndAtOnceWithoutWaitingForTheDrain()
    {
        var links = new DevnetLinks();
        var tcp = new TcpTransport { DrainTime = new FakeTimeProvider(), Drains = new TcpDrainLimiter(8) };
        await using var listener = await links.TransportFor(0, tcp).ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var dialed = await links.TransportFor(1, tcp).DialAsync(listener.LocalEndPoint);
        await using var accepted = (await accepting.WaitAsync(Guard))!;
        // Both have written (a handshake, say) and read what the other wrote: the drain applies to both.
        await ExchangeAsync(accepted, dialed);
        await ExchangeAsync(dialed, accepted);
        var acceptedRead = accepted.Input.ReadAsync().AsTask();
        var dialedRead = dialed.Input.ReadAsync().AsTask();
        Assert.False(acceptedRead.IsCompleted || dialedRead.IsCompleted);

        links.SetPartition([0, 1]);

        Assert.True(await Ended(acceptedRead), "node 0's read still waits after the partition");
        Assert.True(await Ended(dialedRead), "node 1's read still waits after the partition");
        Assert.True(accepted.IsClosed && dialed.IsClosed);
    }

    [Fact]
    public async Task SetPartition_LinkWithinOneSide_StaysOpen()
    {
        var links = new DevnetLinks();
        var tcp = new TcpTransport { DrainTime = new FakeTimeProvider(), Drains = new TcpDrainLimiter(8) };
        await using var listener = await links.TransportFor(0, tcp).ListenAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var dialed = await links.TransportFor(1, tcp).DialAsync(listener.LocalEndPoint);
        await using var accepted = (await accepting.WaitAsync(Guard))!;

        links.SetPartition([0, 0, 1]);

        Assert.False(accepted.IsClosed || dialed.IsClosed);
        await ExchangeAsync(dialed, accepted);
    }

    private static async Task ExchangeAsync(ITransportConnection from, ITransportConnection to)
    {
        await from.Output.WriteAsync(Encoding.ASCII.GetBytes("hello"));
        var read = await to.Input.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.Equal("hello", Encoding.ASCII.GetString(read.Buffer));
        to.Input.AdvanceTo(read.Buffer.End);
    }

    /// <summary>True when the read ended (the end of the stream, or an error once the connection was released).</summary>
    private static async Task<bool> Ended(Task<System.IO.Pipelines.ReadResult> read)
    {
        try
        {
            var result = await read.WaitAsync(Guard);
            return result.IsCompleted || result.IsCanceled;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
