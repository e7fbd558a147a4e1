using System.Text.Json.Nodes;
using TimeCoin.Cli;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Tests.Rpc;

namespace TimeCoin.Node.Tests.Cli;

/// <summary>get-chain-tips, get-block, get-audit-log, get-alerts and --format table against a recording RPC server.</summary>
public sealed class TimeCliStatusCommandsTests : IAsyncLifetime
{
    private readonly List<(string Method, JsonObject Params)> _received = [];
    private RpcTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RpcTestServer.StartAsync(register: registry =>
        {
            Recorder(registry, "get_block", new JsonObject { ["hash"] = "ab", ["height"] = 7 },
                new RpcParameter("hash", RpcParameterKind.String, false, "hash"), new RpcParameter("height", RpcParameterKind.Integer, false, "height"));
            Recorder(registry, "get_audit_log", new JsonArray(), new RpcParameter("limit", RpcParameterKind.Integer, false, "rows"));
            Recorder(registry, "get_chain_tips", new JsonArray(
                new JsonObject { ["height"] = 4805, ["hash"] = "aa11", ["branch_length"] = 0, ["status"] = "active" },
                new JsonObject { ["height"] = 4801, ["hash"] = "bb22", ["branch_length"] = 3, ["status"] = "valid-fork" }));
            Recorder(registry, "get_peer_info", new JsonArray(
                new JsonObject { ["peer_id"] = "p1", ["permissions"] = new JsonArray("noban", "prioritysync"), ["ping_ms"] = null },
                new JsonObject { ["peer_id"] = "p2", ["whitelisted"] = false }));
            Recorder(registry, "ban_list", new JsonArray());
            Recorder(registry, "get_alerts", new JsonObject { ["active"] = new JsonArray() },
                new RpcParameter("history", RpcParameterKind.Boolean, false, "history"), new RpcParameter("limit", RpcParameterKind.Integer, false, "rows"));
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private void Recorder(RpcMethodRegistry registry, string name, JsonNode answer, params RpcParameter[] parameters) =>
        registry.Register(name, "Records its arguments.", parameters, (args, _) =>
        {
            var seen = new JsonObject();
            foreach (var parameter in parameters)
            {
                if (args.GetJson(parameter.Name) is { } value)
                    seen[parameter.Name] = JsonNode.Parse(value.GetRawText());
            }
            lock (_received)
                _received.Add((name, seen));
            return ValueTask.FromResult<JsonNode?>(answer.DeepClone());
        });

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CliApplication.RunAsync([.. args, "--rpc-url", _server.Server.Url.ToString(), "--datadir", _server.DataDir], output, error);
        return (exit, output.ToString().ReplaceLineEndings("\n"), error.ToString());
    }

    [Fact]
    public async Task GetBlock_Digits_SendsHeight()
    {
        var (exit, _, error) = await RunAsync("get-block", "4805");

        Assert.True(exit == 0, error);
        var (method, sent) = Assert.Single(_received);
        Assert.Equal("get_block", method);
        Assert.Equal(4805, (long)sent["height"]!);
        Assert.False(sent.ContainsKey("hash"));
    }

    [Fact]
    public async Task GetBlock_Hash_SendsHash()
    {
        var hash = new string('c', 64);
        var (exit, _, error) = await RunAsync("get-block", hash);

        Assert.True(exit == 0, error);
        Assert.Equal(hash, (string)Assert.Single(_received).Params["hash"]!);
    }

    [Fact]
    public async Task GetBlock_NeitherHeightNorHash_RejectedBeforeCallingTheNode()
    {
        var (exit, _, error) = await RunAsync("get-block", "tip");

        Assert.Equal(1, exit);
        Assert.Contains("height-or-hash must be a height (digits) or a 64-character hex hash, got 'tip'", error);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task GetAuditLog_Limit_SendsItOnlyWhenGiven()
    {
        await RunAsync("get-audit-log");
        await RunAsync("get-audit-log", "--limit", "5");

        Assert.Equal(["get_audit_log", "get_audit_log"], _received.Select(r => r.Method));
        Assert.False(_received[0].Params.ContainsKey("limit"));
        Assert.Equal(5, (int)_received[1].Params["limit"]!);
    }

    [Fact]
    public async Task GetAlerts_HistoryAndLimit_SentOnlyWhenGiven()
    {
        await RunAsync("get-alerts");
        await RunAsync("get-alerts", "--history", "--limit", "7");

        Assert.Equal(["get_alerts", "get_alerts"], _received.Select(r => r.Method));
        Assert.Empty(_received[0].Params);
        Assert.True((bool)_received[1].Params["history"]!);
        Assert.Equal(7, (int)_received[1].Params["limit"]!);
    }

    [Fact]
    public async Task GetChainTips_DefaultFormat_PrintsJson()
    {
        var (exit, output, _) = await RunAsync("get-chain-tips");

        Assert.Equal(0, exit);
        Assert.Equal("valid-fork", (string?)JsonNode.Parse(output)![1]!["status"]);
    }

    [Fact]
    public async Task FormatTable_List_OneAlignedRowPerItem()
    {
        var (exit, output, error) = await RunAsync("get-chain-tips", "--format", "table");

        Assert.True(exit == 0, error);
        Assert.Equal(
            "HEIGHT  HASH  BRANCH_LENGTH  STATUS\n" +
            "4805    aa11  0              active\n" +
            "4801    bb22  3              valid-fork\n", output);
    }

    [Fact]
    public async Task FormatTable_MixedFields_UnionOfColumnsArraysJoinedNullAsDash()
    {
        var (exit, output, _) = await RunAsync("--format", "table", "get-peer-info");

        Assert.Equal(0, exit);
        Assert.Equal(
            "PEER_ID  PERMISSIONS         PING_MS  WHITELISTED\n" +
            "p1       noban,prioritysync  -\n" +
            "p2                                    false\n", output);
    }

    [Fact]
    public async Task FormatTable_EmptyList_SaysNone()
    {
        var (exit, output, _) = await RunAsync("ban", "list", "--format", "table");

        Assert.Equal(0, exit);
        Assert.Equal("(none)\n", output);
    }

    [Fact]
    public async Task FormatTable_Object_FieldValueRows()
    {
        var (exit, output, _) = await RunAsync("get-block", "7", "--format", "table");

        Assert.Equal(0, exit);
        Assert.Equal("FIELD   VALUE\nhash    ab\nheight  7\n", output);
    }

    [Fact]
    public async Task Format_Unknown_IsAParseError()
    {
        var (exit, _, error) = await RunAsync("get-chain-tips", "--format", "yaml");

        Assert.Equal(1, exit);
        Assert.Contains("yaml", error);
        Assert.Empty(_received);
    }
}
