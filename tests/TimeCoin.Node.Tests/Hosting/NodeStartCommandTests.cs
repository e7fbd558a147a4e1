using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using TimeCoin.Node.Tests.Storage;

namespace TimeCoin.Node.Tests.Hosting;

/// <summary>`time-node start` on the Generic Host: failures at start are clear errors with exit code 1.</summary>
public class NodeStartCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = NodeCommandLine.Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Start_P2pPortInUse_ExitsOneWithTheReason()
    {
        using var dir = new TempDirectory();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        int busy = ((IPEndPoint)occupier.LocalEndpoint).Port;
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {busy}
            [rpc]
            enabled = false
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: p2p.port {busy} (p2p.listen 127.0.0.1): ", error);
        Assert.Contains(busy.ToString(), error);
    }

    [Fact]
    public void Start_RpcPortInUse_ExitsOneBeforeProducingAnything()
    {
        // Every listener is bound before sync and production start. A devnet node on a busy RPC port produced block 1
        // (its one-node devnet slot came at once) and only then failed on the bind.
        using var dir = new TempDirectory();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        int busy = ((IPEndPoint)occupier.LocalEndpoint).Port;
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {Processes.NodeProcess.FreePort()}
            [rpc]
            port = {busy}
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: rpc.port {busy} (rpc.bind 127.0.0.1): ", error);
        Assert.Contains(busy.ToString(), error);
        using var db = TimeCoin.Node.Storage.NodeDatabase.Open(dir.Path);
        Assert.Equal(0, db.GetTipHeight() ?? 0);
    }

    [Fact]
    public void Start_MetricsPortInUse_ExitsOneNamingMetricsListen()
    {
        using var dir = new TempDirectory();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        int busy = ((IPEndPoint)occupier.LocalEndpoint).Port;
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {Processes.NodeProcess.FreePort()}
            discovery_url = ""
            [rpc]
            enabled = false
            [metrics]
            listen = "127.0.0.1:{busy}"
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: metrics.listen 127.0.0.1:{busy}: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Start_CookieFileIsADirectory_ExitsOneNamingTheKey()
    {
        using var dir = new TempDirectory();
        var cookie = Path.Combine(dir.Path, "cookie-dir");
        Directory.CreateDirectory(cookie);
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {Processes.NodeProcess.FreePort()}
            discovery_url = ""
            [rpc]
            port = {Processes.NodeProcess.FreePort()}
            cookie_file = "{cookie}"
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: rpc.cookie_file '{cookie}' cannot be written: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.True(Directory.Exists(cookie));
    }

    [Fact]
    public void Start_CorruptNodeDatabase_ExitsOneNamingTheFileWithoutAStackTrace()
    {
        using var dir = new TempDirectory();
        var dbPath = Path.Combine(dir.Path, "node.db");
        var garbage = new byte[8192];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(dbPath, garbage);
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {Processes.NodeProcess.FreePort()}
            discovery_url = ""
            [rpc]
            enabled = false
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: the node database '{dbPath}' cannot be opened: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(garbage, File.ReadAllBytes(dbPath));
    }

    [Fact]
    public void Start_EmptyDatadir_ExitsOneNamingTheOption()
    {
        // It used to start on the default data directory as if --datadir were not given.
        var (exit, output, error) = Run("start", "--datadir", "");

        Assert.Equal(1, exit);
        Assert.DoesNotContain("running", output);
        Assert.Equal("--datadir: expected a directory, got an empty string.", error.Trim());
    }

    [Fact]
    public void Start_GenesisFileIsADirectory_ExitsOneNamingTheKeyWithoutAStackTrace()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [genesis]
            file = "{dir.Path}"
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.StartsWith("time-node: genesis.file", error);
        Assert.Contains(dir.Path, error);
        Assert.DoesNotContain(" at ", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Start_DataDirCannotBeCreated_ExitsOneNamingTheKey(bool masternode)
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "file");
        File.WriteAllText(file, "x");
        var dataDir = Path.Combine(file, "node");
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            data_dir = "{dataDir}"
            [masternode]
            enabled = {(masternode ? "true" : "false")}
            [p2p]
            listen = "127.0.0.1"
            port = {Processes.NodeProcess.FreePort()}
            discovery_url = ""
            [rpc]
            enabled = false
            """);

        var (exit, _, error) = Run("start", "--config", Path.Combine(dir.Path, "config.toml"));

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: data_dir '{dataDir}' cannot be created", error);
    }

    [Theory]
    [InlineData("file/node.log")]
    [InlineData("dir")]
    public void Start_LogFileCannotBeOpened_ExitsOneNamingThePath(string relative)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "file"), "x");
        Directory.CreateDirectory(Path.Combine(dir.Path, "dir"));
        var logFile = Path.Combine(dir.Path, relative);
        // The P2P port is taken, so a node that ignored the bad log file would still stop at start.
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        File.WriteAllText(Path.Combine(dir.Path, "config.toml"), $"""
            network = "devnet"
            [p2p]
            listen = "127.0.0.1"
            port = {((IPEndPoint)occupier.LocalEndpoint).Port}
            [rpc]
            enabled = false
            """);

        var (exit, _, error) = Run("start", "--datadir", dir.Path, "--log-file", logFile);

        Assert.Equal(1, exit);
        Assert.StartsWith($"time-node: --log-file '{logFile}' cannot be opened", error);
    }

    [Fact]
    public void Start_UnknownLogLevel_RefusedNamingTheOption()
    {
        var (exit, _, error) = Run("start", "--log-level", "loud");

        Assert.NotEqual(0, exit);
        Assert.Contains("--log-level", error);
        Assert.Contains("loud", error);
    }

    [Fact]
    public void Start_BadConfigInDataDir_ExitsOneNamingTheFileAndKey()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "config.toml");
        File.WriteAllText(path, "[p2p]\nmax_inbond = 3\n");

        var (exit, _, error) = Run("start", "--datadir", dir.Path);

        Assert.Equal(1, exit);
        Assert.Contains(path, error);
        Assert.Contains("p2p.max_inbond", error);
    }
}
