using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TimeCoin.Cli;
using TimeCoin.Node.Config;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Tests.Rpc;

namespace TimeCoin.Node.Tests.Cli;

public sealed class TimeCliTests : IAsyncLifetime
{
    private readonly List<JsonObject> _received = [];
    private RpcTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RpcTestServer.StartAsync(register: registry =>
        {
            registry.Register("get_blockchain_info", "Chain state.", [], (_, _) =>
                ValueTask.FromResult<JsonNode?>(new JsonObject { ["height"] = 4805, ["network"] = "testnet" }));
            Recorder(registry, "whitelist_add",
                new RpcParameter("range", RpcParameterKind.String, true, "range"),
                new RpcParameter("permissions", RpcParameterKind.StringArray, false, "permissions"),
                new RpcParameter("reason", RpcParameterKind.String, false, "reason"));
            Recorder(registry, "ban_add",
                new RpcParameter("range", RpcParameterKind.String, true, "range"),
                new RpcParameter("duration_secs", RpcParameterKind.Integer, false, "seconds"),
                new RpcParameter("reason", RpcParameterKind.String, false, "reason"));
            Recorder(registry, "generate", new RpcParameter("count", RpcParameterKind.Integer, true, "blocks"));
            registry.Register("stop", "Stops.", [], (_, _) => ValueTask.FromResult<JsonNode?>(null));
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private void Recorder(RpcMethodRegistry registry, string name, params RpcParameter[] parameters) =>
        registry.Register(name, "Records its arguments.", parameters, (args, _) =>
        {
            var seen = new JsonObject();
            foreach (var parameter in parameters)
            {
                if (args.GetJson(parameter.Name) is { } value)
                {
                    seen[parameter.Name] = JsonNode.Parse(value.GetRawText());
                }
            }

            lock (_received)
            {
                _received.Add(seen);
            }

            return ValueTask.FromResult<JsonNode?>(new JsonObject { ["ok"] = true });
        });

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] connection = ["--rpc-url", _server.Server.Url.ToString(), "--datadir", _server.DataDir];
        var exit = await CliApplication.RunAsync([.. args, .. connection], output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task GetBlockchainInfo_PrintsResultAsIndentedJson()
    {
        var (exit, output, error) = await RunAsync("get-blockchain-info");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Equal(4805, (int)JsonNode.Parse(output)!["height"]!);
        Assert.Contains("\n  \"height\": 4805", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Help_PrintsTheNodesMethodListAsText()
    {
        var (exit, output, _) = await RunAsync("help");

        Assert.Equal(0, exit);
        Assert.Contains("uptime", output);
        Assert.Contains("get_blockchain_info  ", output);
        Assert.DoesNotContain("\\n", output);
    }

    [Fact]
    public async Task WhitelistAdd_SendsRangePermissionsAndReason()
    {
        var (exit, _, error) = await RunAsync("whitelist", "add", "10.0.0.0/8", "--permissions", "noban,prioritysync", "--reason", "our masternodes");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var sent = Assert.Single(_received);
        Assert.Equal("10.0.0.0/8", (string)sent["range"]!);
        Assert.Equal(["noban", "prioritysync"], sent["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal("our masternodes", (string)sent["reason"]!);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    [InlineData(" , ")]
    public async Task WhitelistAdd_PermissionsListingNothing_RefusedBeforeCallingTheNode(string given)
    {
        var (exit, _, error) = await RunAsync("whitelist", "add", "10.0.0.0/8", "--permissions", given);

        Assert.Equal(1, exit);
        Assert.Contains("error: --permissions lists no permission", error);
        Assert.Empty(_received);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("2147484")]
    [InlineData("9999999")]
    public async Task TimeoutSecs_OutOfRange_IsAParseError(string given)
    {
        var (exit, _, error) = await RunAsync("uptime", "--timeout-secs", given);

        Assert.Equal(1, exit);
        Assert.Contains($"--timeout-secs must be from 1 to 2147483 seconds, got {given}", error);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2147483")]
    public async Task TimeoutSecs_AtTheLimits_Accepted(string given)
    {
        var (exit, output, error) = await RunAsync("uptime", "--timeout-secs", given);

        Assert.True(exit == 0, error);
        Assert.NotEmpty(output);
    }

    [Fact]
    public async Task FormatTable_StringResult_PrintedAsPlainTextWithItsLines()
    {
        var (_, json, _) = await RunAsync("help");
        var (exit, table, error) = await RunAsync("--format", "table", "help");

        Assert.True(exit == 0, error);
        Assert.Equal(json, table);
        Assert.Contains("\nget_blockchain_info  ", table.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task BanAdd_SendsDurationOnlyWhenGiven()
    {
        await RunAsync("ban", "add", "203.0.113.7", "--duration-secs", "3600");
        await RunAsync("ban", "add", "203.0.113.8");

        Assert.Equal(3600, (long)_received[0]["duration_secs"]!);
        Assert.False(_received[1].ContainsKey("duration_secs"));
        Assert.False(_received[1].ContainsKey("reason"));
    }

    [Fact]
    public async Task Generate_SendsCount()
    {
        var (exit, _, _) = await RunAsync("generate", "5");

        Assert.Equal(0, exit);
        Assert.Equal(5, (int)Assert.Single(_received)["count"]!);
    }

    [Fact]
    public async Task Generate_ZeroBlocks_IsRejectedBeforeCallingTheNode()
    {
        var (exit, _, error) = await RunAsync("generate", "0");

        Assert.NotEqual(0, exit);
        Assert.Contains("n must be from 1 to 10000", error);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task Stop_WithNullResult_PrintsNothingAndSucceeds()
    {
        var (exit, output, _) = await RunAsync("stop");

        Assert.Equal(0, exit);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Call_AnyMethodWithJsonParams_PrintsResult()
    {
        var (exit, output, _) = await RunAsync("call", "echo", """{"text":"hi","times":2}""");

        Assert.Equal(0, exit);
        Assert.Equal("hihi", output.Trim());
    }

    [Fact]
    public async Task RpcError_PrintsCodeAndMessageToStderrAndExits1()
    {
        var (exit, output, error) = await RunAsync("call", "refuse");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("error -8: range is not whitelisted", error.Trim());
    }

    [Fact]
    public async Task MethodTheNodeLacks_PrintsMethodNotFoundAndExits1()
    {
        var (exit, _, error) = await RunAsync("get-peer-info");

        Assert.Equal(1, exit);
        Assert.StartsWith("error -32601: method not found: 'get_peer_info'", error);
    }

    [Fact]
    public async Task WrongPassword_ReportsRejectedCredentialsAndExits1()
    {
        var (exit, _, error) = await RunAsync("uptime", "--rpc-user", "__cookie__", "--rpc-password", "wrong");

        Assert.Equal(1, exit);
        Assert.Contains("rejected the credentials", error);
    }

    [Fact]
    public async Task UserAndPassword_ReplaceTheCookie()
    {
        var password = File.ReadAllText(_server.CookiePath).Split(':')[1];
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CliApplication.RunAsync(
            ["uptime", "--rpc-url", _server.Server.Url.ToString(), "--datadir", "/nonexistent", "--rpc-user", "__cookie__", "--rpc-password", password],
            output, error);

        Assert.Equal(0, exit);
        Assert.Equal("0", output.ToString().Trim());
    }

    [Fact]
    public async Task UnreachableNode_PrintsClearMessageAndExits2()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CliApplication.RunAsync(
            ["get-blockchain-info", "--rpc-url", $"http://127.0.0.1:{port}/", "--datadir", _server.DataDir], output, error);

        Assert.Equal(2, exit);
        Assert.StartsWith($"cannot reach time-node at http://127.0.0.1:{port}/; is it running?", error.ToString());
    }

    [Fact]
    public async Task MissingCookie_ExplainsWhereItLookedAndExits2()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "time-cli-none-" + Guid.NewGuid().ToString("N"));
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CliApplication.RunAsync(["get-blockchain-info", "--rpc-url", _server.Server.Url.ToString(), "--datadir", dataDir], output, error);

        Assert.Equal(2, exit);
        Assert.Contains(Path.Combine(dataDir, ".cookie"), error.ToString());
        Assert.Contains("--rpc-user", error.ToString());
    }

    [Theory]
    [InlineData("get-blockchain-info", "chain state")]
    [InlineData("whitelist add", "Whitelist <range>")]
    [InlineData("ban add", "--duration-secs")]
    [InlineData("generate", "Devnet only")]
    [InlineData("get-alerts", "--history")]
    [InlineData("", "--rpc-url")]
    public async Task HelpOption_DescribesTheCommand(string command, string expected)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CliApplication.RunAsync([.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"], output, error);

        Assert.Equal(0, exit);
        Assert.Contains(expected, output.ToString());
    }

    [Fact]
    public async Task UnknownNetwork_IsAParseError()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await CliApplication.RunAsync(["uptime", "--network", "regtest"], output, error);

        Assert.Equal(1, exit);
        Assert.Contains("regtest", error.ToString());
    }

    [Theory]
    [InlineData(NetworkName.Mainnet)]
    [InlineData(NetworkName.Testnet)]
    [InlineData(NetworkName.Devnet)]
    public void CliDefaults_MatchTheNodesDefaults(NetworkName network)
    {
        var name = NetworkDefaults.ConfigName(network);

        Assert.Equal(NetworkDefaults.RpcPort(network), CliNetworkDefaults.RpcPort(name));
        Assert.Equal(NodeConfig.ForNetwork(network).ResolveDataDir("/home/op"), CliNetworkDefaults.DataDir(name, "/home/op"));
    }
}
