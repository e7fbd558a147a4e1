using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Processes;

/// <summary>`time-node devnet` as a process: what a failed start leaves behind.</summary>
[Trait("Category", "Slow")]
public class DevnetProcessTests
{
    [Fact]
    public async Task Devnet_RpcPortInUse_OneLineExitOneAndTheTemporaryDirectoryRemoved()
    {
        // The process's temporary directory is one of the test's own, so what the devnet leaves there is visible.
        using var temp = new TempDirectory();
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (exit, output) = await NodeProcess.RunAsync(new Dictionary<string, string> { ["TMPDIR"] = temp.Path + "/" },
            "devnet", "--nodes", "1", "--late-join-secs", "0", "--duration-secs", "1", "--rpc-port", port.ToString(CultureInfo.InvariantCulture));

        Assert.True(exit == 1, output);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
        Assert.StartsWith($"time-node devnet: --rpc-port {port}: ", output);
        Assert.Single(output.Trim().Split('\n'));
    }
}
