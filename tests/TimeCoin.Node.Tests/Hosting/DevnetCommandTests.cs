using System.CommandLine;

namespace TimeCoin.Node.Tests.Hosting;

/// <summary>`time-node devnet` refuses out-of-range options before starting anything, with devnet init's messages.</summary>
public class DevnetCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // Only a safety net: a refused option returns at once; a devnet started by mistake is stopped here.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int exit = await NodeCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancel.Token);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--nodes", "0", "--nodes: a devnet has 1 to 64 nodes, got 0.")]
    [InlineData("--nodes", "100000", "--nodes: a devnet has 1 to 64 nodes, got 100000.")]
    [InlineData("--block-time", "0", "--block-time: 1 to 3600 seconds, got 0.")]
    [InlineData("--rpc-port", "70000", "--rpc-port: 0 (none) or a port from 1 to 65535, got 70000.")]
    [InlineData("--duration-secs", "-5", "--duration-secs: 0 (run until Ctrl+C) or a positive number of seconds, got -5.")]
    [InlineData("--late-join-secs", "-1", "--late-join-secs: 0 (all together) or a positive number of seconds, got -1.")]
    [InlineData("--datadir", "", "--datadir: expected a directory, got an empty string.")]
    public async Task Devnet_OptionOutOfRange_ExitsOneNamingTheOptionAndRange(string option, string value, string message)
    {
        // The other options small and short, so a devnet started by mistake is one node for one second.
        string[] others = ["--nodes", "1", "--late-join-secs", "0", "--duration-secs", "1"];
        var args = new List<string> { "devnet", option, value };
        for (int i = 0; i < others.Length; i += 2)
        {
            if (others[i] != option)
                args.AddRange([others[i], others[i + 1]]);
        }

        var (exit, output, error) = await RunAsync([.. args]);

        Assert.Equal(1, exit);
        Assert.Contains(message, error);
        Assert.DoesNotContain("devnet:", output);
    }

    [Theory]
    [InlineData("--nodes", "0", "--nodes: a devnet has 1 to 64 nodes, got 0.")]
    [InlineData("--block-time", "3601", "--block-time: 1 to 3600 seconds, got 3601.")]
    public async Task DevnetInit_OptionOutOfRange_SameMessage(string option, string value, string message)
    {
        using var dir = new Storage.TempDirectory();

        var (exit, _, error) = await RunAsync("devnet", "init", "--dir", Path.Combine(dir.Path, "dn"), option, value);

        Assert.Equal(1, exit);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "dn")));
    }

    [Fact]
    public async Task Devnet_RerunOnAKeptDatadir_ContinuesTheSameChains()
    {
        using var dir = new Storage.TempDirectory();
        var data = Path.Combine(dir.Path, "dn");
        string[] args = ["devnet", "--nodes", "1", "--late-join-secs", "0", "--duration-secs", "2", "--datadir", data];
        var first = await RunAsync(args);
        Assert.True(first.Exit == 0, first.Out + first.Err);
        var genesis = await File.ReadAllTextAsync(Path.Combine(data, "genesis.json"));
        long firstHeight = FinalHeight(first.Out);

        var second = await RunAsync(args);

        Assert.True(second.Exit == 0, second.Out + second.Err);
        Assert.Equal(genesis, await File.ReadAllTextAsync(Path.Combine(data, "genesis.json")));
        Assert.Equal(GenesisOf(first.Out), GenesisOf(second.Out));
        Assert.True(FinalHeight(second.Out) > firstHeight, $"first run ended at {firstHeight}, second at {FinalHeight(second.Out)}");
    }

    [Fact]
    public async Task Devnet_KeptDatadirWithoutKeys_RefusesWithoutOverwriting()
    {
        // What a devnet kept before its keys were kept looks like: a genesis and node data, no key files.
        using var dir = new Storage.TempDirectory();
        var data = Path.Combine(dir.Path, "dn");
        var genesisPath = Path.Combine(data, "genesis.json");
        using (var key = TimeCoin.Core.Crypto.KeyPair.Generate())
        {
            Directory.CreateDirectory(Path.Combine(data, "node-0"));
            await File.WriteAllTextAsync(genesisPath, TimeCoin.Core.Chain.GenesisDocument.ToJson(
                TimeCoin.Core.Chain.ChainParameters.CreateDevnet([key.PublicKey], 1_764_547_200)));
        }
        var genesis = await File.ReadAllTextAsync(genesisPath);

        var (exit, output, error) = await RunAsync("devnet", "--nodes", "1", "--late-join-secs", "0", "--duration-secs", "1", "--datadir", data);

        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(Path.Combine(data, "node-0", "masternode.key"), error);
        Assert.DoesNotContain(" at ", error);
        Assert.DoesNotContain("devnet:", output);
        Assert.Equal(genesis, await File.ReadAllTextAsync(genesisPath));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(data, "node-0")));
    }

    [Fact]
    public async Task Devnet_KeptDatadirOfOtherSize_RefusesNamingTheNodeCount()
    {
        using var dir = new Storage.TempDirectory();
        var data = Path.Combine(dir.Path, "dn");
        var first = await RunAsync("devnet", "--nodes", "1", "--late-join-secs", "0", "--duration-secs", "1", "--datadir", data);
        Assert.True(first.Exit == 0, first.Out + first.Err);
        var genesis = await File.ReadAllTextAsync(Path.Combine(data, "genesis.json"));

        var (exit, _, error) = await RunAsync("devnet", "--nodes", "2", "--late-join-secs", "0", "--duration-secs", "1", "--datadir", data);

        Assert.Equal(1, exit);
        Assert.Contains("--nodes 1", error);
        Assert.DoesNotContain(" at ", error);
        Assert.Equal(genesis, await File.ReadAllTextAsync(Path.Combine(data, "genesis.json")));
        Assert.False(Directory.Exists(Path.Combine(data, "node-1")));
    }

    [Fact]
    public async Task Devnet_RpcPortInUse_OneLineErrorExitOne()
    {
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        int port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        using var dir = new Storage.TempDirectory();

        var (exit, output, error) = await RunAsync("devnet", "--nodes", "1", "--late-join-secs", "0", "--duration-secs", "1",
            "--rpc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--datadir", Path.Combine(dir.Path, "dn"));

        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains($"--rpc-port {port}", error);
        Assert.DoesNotContain(" at ", error);
        Assert.DoesNotContain("devnet:", output);
    }

    private static long FinalHeight(string output) =>
        long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"final heights \[(\d+)\]").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static string GenesisOf(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"genesis ([0-9a-f]{16})").Groups[1].Value;

    [Fact]
    public void DevnetHelp_GivesTheRanges()
    {
        var output = new StringWriter();
        NodeCommandLine.Build().Parse(["devnet", "--help"]).Invoke(new InvocationConfiguration { Output = output });
        var help = output.ToString();

        Assert.Contains("1 to 64", help);
        Assert.Contains("1 to 3600", help);
        Assert.Contains("1 to 65535", help);
    }
}
