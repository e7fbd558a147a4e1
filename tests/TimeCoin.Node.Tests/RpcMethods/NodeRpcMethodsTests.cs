using System.Text;
using System.Text.Json.Nodes;
using TimeCoin.Core.Policy;
using TimeCoin.Node.Rpc;
using TimeCoin.Node.Rpc.Methods;
using TimeCoin.Node.Services;
using TimeCoin.Node.Tests.Production;

namespace TimeCoin.Node.Tests.RpcMethods;

public sealed class NodeRpcMethodsTests : IDisposable
{
    private readonly TestFederation _federation;
    private readonly PeerPolicy _policy;
    private readonly PolicyPersistence _persistence;
    private readonly JsonRpcDispatcher _dispatcher;

    public NodeRpcMethodsTests() : this(devnet: true)
    {
    }

    private NodeRpcMethodsTests(bool devnet)
    {
        _federation = new TestFederation(devnet);
        _policy = new PeerPolicy(new PeerPolicyOptions(), _federation.Clock);
        _persistence = new PolicyPersistence(_policy, _federation.Database, _federation.Clock);
        _persistence.Start();
        var registry = new RpcMethodRegistry();
        NodeRpcMethods.Register(registry, new NodeRpcContext
        {
            Chain = _federation.Chain,
            Database = _federation.Database,
            Policy = _policy,
            Producer = _federation.Producer([.. _federation.Keys]),
            Sync = new SyncingStatus(),
        });
        _dispatcher = new JsonRpcDispatcher(registry);
    }

    public void Dispose()
    {
        _persistence.Dispose();
        _federation.Dispose();
    }

    private sealed class SyncingStatus : ISyncStatus
    {
        public bool IsRunning => true;

        public bool IsSyncing => true;

        public long TargetHeight => 42;
    }

    private async Task<JsonNode?> Call(string method, string parameters = "{}")
    {
        var body = $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{parameters}}}""";
        var response = JsonNode.Parse((await _dispatcher.DispatchAsync(Encoding.UTF8.GetBytes(body), CancellationToken.None))!)!;
        if (response["error"] is { } error)
            throw new RpcException((int)error["code"]!, (string)error["message"]!);
        return response["result"];
    }

    private async Task<RpcException> CallFails(string method, string parameters = "{}") =>
        await Assert.ThrowsAsync<RpcException>(() => Call(method, parameters));

    [Fact]
    public async Task GetBlockchainInfo_AfterGenerate_ReportsNetworkTipGenesisFederationAndSync()
    {
        var hashes = (await Call("generate", """{"count":3}"""))!.AsArray();

        var info = (await Call("get_blockchain_info"))!;

        Assert.Equal("devnet", (string)info["network"]!);
        Assert.Equal(3, (long)info["height"]!);
        Assert.Equal((string)hashes[2]!, (string)info["tip_hash"]!);
        Assert.Equal(_federation.Chain.State.Tip.Timestamp, (long)info["tip_time"]!);
        Assert.Equal(_federation.Parameters.GenesisHash.ToString(), (string)info["genesis_hash"]!);
        Assert.Equal(4, (int)info["headers"]!);
        Assert.Equal(3, (int)info["federation_size"]!);
        Assert.True((bool)info["syncing"]!);
    }

    [Fact]
    public async Task GetChainTips_AfterGenerate_OneActiveTipAtTheHeight()
    {
        var hashes = (await Call("generate", """{"count":3}"""))!.AsArray();

        var tips = (await Call("get_chain_tips"))!.AsArray();

        var tip = Assert.Single(tips)!;
        Assert.Equal(3, (long)tip["height"]!);
        Assert.Equal((string)hashes[2]!, (string)tip["hash"]!);
        Assert.Equal(0, (int)tip["branch_length"]!);
        Assert.Equal("active", (string)tip["status"]!);
    }

    [Fact]
    public async Task GetBlock_ByHeightAndByHash_ReturnsHeaderFieldsTxCountAndSize()
    {
        await Call("generate", """{"count":2}""");
        var tip = _federation.Chain.State.Tip;

        var byHeight = (await Call("get_block", """{"height":2}"""))!;
        var byHash = (await Call("get_block", $$"""["{{tip.Hash}}"]"""))!;

        Assert.Equal(byHeight.ToJsonString(), byHash.ToJsonString());
        Assert.Equal(tip.Hash.ToString(), (string)byHeight["hash"]!);
        Assert.Equal(tip.PreviousHash.ToString(), (string)byHeight["previous_hash"]!);
        Assert.Equal(tip.Slot, (ulong)byHeight["slot"]!);
        Assert.Equal(tip.Producer.ToString(), (string)byHeight["producer"]!);
        Assert.Equal(0, (int)byHeight["tx_count"]!);
        Assert.Equal(_federation.Chain.GetBlock(tip.Hash)!.EncodedSize, (long)byHeight["size"]!);
        Assert.Equal(1, (long)byHeight["confirmations"]!);
    }

    [Theory]
    [InlineData("{}", "'hash' or parameter 'height'")]
    [InlineData("""{"hash":"00","height":1}""", "'hash' or parameter 'height'")]
    [InlineData("""{"hash":"xyz"}""", "parameter 'hash'")]
    [InlineData("""{"height":-1}""", "parameter 'height'")]
    [InlineData("""{"height":"one"}""", "parameter 'height'")]
    public async Task GetBlock_BadParameters_InvalidParamsNamingTheParameter(string parameters, string named)
    {
        var error = await CallFails("get_block", parameters);

        Assert.Equal(RpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task GetBlock_UnknownHeightOrHash_MiscError()
    {
        Assert.Equal(RpcErrorCodes.MiscError, (await CallFails("get_block", """{"height":5}""")).Code);
        Assert.Contains("not known", (await CallFails("get_block", $$"""{"hash":"{{new string('a', 64)}}"}""")).Message);
    }

    [Fact]
    public async Task WhitelistAdd_WithPermissionsAndReason_IsListedWithSourceRpc()
    {
        var added = (await Call("whitelist_add", """{"range":"10.0.0.0/8","permissions":["noban","prioritysync"],"reason":"lan"}"""))!;

        var listed = Assert.Single((await Call("whitelist_list"))!.AsArray())!;
        Assert.Equal(added.ToJsonString(), listed.ToJsonString());
        Assert.Equal("10.0.0.0/8", (string)listed["range"]!);
        Assert.Equal("rpc", (string)listed["source"]!);
        Assert.Equal(["noban", "prioritysync"], listed["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal("lan", (string)listed["reason"]!);
        Assert.Equal("2023-11-14T22:15:00Z", (string)listed["added_at"]!);
        Assert.True(_policy.GetPermissions(System.Net.IPAddress.Parse("10.1.2.3")).HasFlag(PeerPermissions.NoBan));
    }

    [Fact]
    public async Task WhitelistAdd_ConfigSyntaxRangeWithoutPermissionsParam_UsesTheWrittenPermissions()
    {
        var added = (await Call("whitelist_add", """["prioritysync@192.0.2.1"]"""))!;

        Assert.Equal(["prioritysync"], added["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(["all"], (await Call("whitelist_add", """{"range":"192.0.2.2"}"""))!["permissions"]!.AsArray().Select(p => (string)p!));
    }

    [Theory]
    [InlineData("""{"range":"10.0.0.300"}""", "parameter 'range'")]
    [InlineData("""{"range":"10.0.0.1","permissions":["fly"]}""", "parameter 'permissions'")]
    [InlineData("""{"range":"10.0.0.1","permissions":42}""", "parameter 'permissions'")]
    [InlineData("""{"range":"noban@10.0.0.1","permissions":"all"}""", "parameter 'permissions'")]
    [InlineData("""{"permissions":"all"}""", "parameter 'range'")]
    public async Task WhitelistAdd_BadParameters_InvalidParamsNamingTheParameter(string parameters, string named)
    {
        var error = await CallFails("whitelist_add", parameters);

        Assert.Equal(RpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains(named, error.Message);
        Assert.Empty(_policy.ListWhitelist());
    }

    [Fact]
    public async Task WhitelistRemove_RpcEntry_RemovesIt()
    {
        await Call("whitelist_add", """{"range":"10.0.0.1"}""");

        await Call("whitelist_remove", """{"range":"10.0.0.1"}""");

        Assert.Empty((await Call("whitelist_list"))!.AsArray());
    }

    [Fact]
    public async Task WhitelistRemove_ConfigEntry_RefusesAndSaysWhy()
    {
        _policy.AddWhitelist(IpRange.Parse("10.0.0.1"), WhitelistSource.Config, "config");

        var error = await CallFails("whitelist_remove", """{"range":"10.0.0.1"}""");

        Assert.Equal(RpcErrorCodes.MiscError, error.Code);
        Assert.Contains("config", error.Message);
        Assert.Single(_policy.ListWhitelist());
    }

    [Fact]
    public async Task BanAdd_WithAndWithoutDuration_ListsTimedAndPermanentBans()
    {
        var timed = (await Call("ban_add", """{"range":"203.0.113.7","duration_secs":3600,"reason":"spam"}"""))!;
        var permanent = (await Call("ban_add", """{"range":"198.51.100.0/24"}"""))!;

        Assert.Equal("2023-11-14T23:15:00Z", (string)timed["until"]!);
        Assert.False((bool)timed["permanent"]!);
        Assert.Null(permanent["until"]);
        Assert.True((bool)permanent["permanent"]!);
        var listed = (await Call("ban_list"))!.AsArray();
        Assert.Equal(["198.51.100.0/24", "203.0.113.7"], listed.Select(b => (string)b!["range"]!));
        Assert.Equal(["rpc", "rpc"], listed.Select(b => (string)b!["source"]!));
        Assert.True(_policy.IsBanned(System.Net.IPAddress.Parse("203.0.113.7")));
    }

    [Theory]
    [InlineData("""{"range":"203.0.113.7","duration_secs":0}""", "parameter 'duration_secs'")]
    [InlineData("""{"range":"203.0.113.7","duration_secs":"1h"}""", "parameter 'duration_secs'")]
    [InlineData("""{"range":"203.0.113.7","duration_secs":9223372036854775807}""", "parameter 'duration_secs' must be from 1 to 31536000000 (leave it out for a permanent ban), got 9223372036854775807")]
    [InlineData("""{"range":"203.0.113.7","duration_secs":461168601842}""", "parameter 'duration_secs' must be from 1 to 31536000000 (leave it out for a permanent ban), got 461168601842")]
    [InlineData("""{"range":"203.0.113.7","duration_secs":31536000001}""", "parameter 'duration_secs'")]
    [InlineData("""{"range":"not-an-ip"}""", "parameter 'range'")]
    public async Task BanAdd_BadParameters_InvalidParamsNamingTheParameter(string parameters, string named)
    {
        var error = await CallFails("ban_add", parameters);

        Assert.Equal(RpcErrorCodes.InvalidParams, error.Code);
        Assert.Contains(named, error.Message);
        Assert.Empty(_policy.ListBans());
    }

    [Fact]
    public async Task BanAdd_LongestDuration_EndsThatManySecondsLater()
    {
        var ban = (await Call("ban_add", """{"range":"203.0.113.7","duration_secs":31536000000}"""))!;

        Assert.Equal(_federation.Clock.GetUtcNow().AddSeconds(31_536_000_000), DateTimeOffset.Parse((string)ban["until"]!));
    }

    [Fact]
    public async Task BanRemove_BannedAndUnknownRange_LiftsOrSaysNoBan()
    {
        await Call("ban_add", """{"range":"203.0.113.7"}""");

        await Call("ban_remove", """{"range":"203.0.113.7"}""");
        var error = await CallFails("ban_remove", """{"range":"203.0.113.7"}""");

        Assert.Empty(_policy.ListBans());
        Assert.Equal(RpcErrorCodes.MiscError, error.Code);
        Assert.Contains("no active ban", error.Message);
    }

    [Fact]
    public async Task BanRemove_OnlyConfigBan_RefusesAndSaysWhy()
    {
        _policy.ReplaceBans(BanSource.Config, [IpRange.Parse("198.51.100.0/24")], "config blacklisted_peers");

        var error = await CallFails("ban_remove", """{"range":"198.51.100.0/24"}""");

        Assert.Equal(RpcErrorCodes.MiscError, error.Code);
        Assert.Contains("blacklisted_peers", error.Message);
        Assert.True(_policy.IsBanned(System.Net.IPAddress.Parse("198.51.100.9")));
    }

    [Fact]
    public async Task BanAddAndRemove_OnConfigBannedRange_RpcBanComesAndGoesConfigBanStays()
    {
        _policy.ReplaceBans(BanSource.Config, [IpRange.Parse("203.0.113.9")], "config blacklisted_peers");

        var added = (await Call("ban_add", """{"range":"203.0.113.9","duration_secs":2}"""))!;
        var listed = (await Call("ban_list"))!.AsArray();
        var removed = (await Call("ban_remove", """{"range":"203.0.113.9"}"""))!;

        Assert.Equal(("rpc", false), ((string)added["source"]!, (bool)added["permanent"]!));
        Assert.Equal([("203.0.113.9", "config"), ("203.0.113.9", "rpc")], listed.Select(b => ((string)b!["range"]!, (string)b["source"]!)));
        Assert.True((bool)removed["config_ban_remains"]!);
        Assert.True(Assert.Single(_policy.ListBans()).Source == BanSource.Config);
    }

    [Fact]
    public async Task GetAuditLog_AfterChanges_NewestFirstWithLimit()
    {
        await Call("whitelist_add", """{"range":"10.0.0.1","reason":"a"}""");
        await Call("ban_add", """{"range":"203.0.113.7","reason":"b"}""");
        await Call("ban_remove", """{"range":"203.0.113.7"}""");

        var all = (await Call("get_audit_log"))!.AsArray();
        var last = (await Call("get_audit_log", """{"limit":1}"""))!.AsArray();

        Assert.Equal(["unban", "ban", "whitelist-add"], all.Select(r => (string)r!["action"]!));
        Assert.Equal("203.0.113.7", (string)all[0]!["range"]!);
        Assert.Equal("unban", (string)Assert.Single(last)!["action"]!);
        Assert.Contains("'limit'", (await CallFails("get_audit_log", """{"limit":0}""")).Message);
    }

    [Fact]
    public async Task Generate_OnDevnet_ReturnsHashesOfNewTip()
    {
        var hashes = (await Call("generate", """{"count":5}"""))!.AsArray();

        Assert.Equal(5, hashes.Count);
        Assert.Equal(_federation.Chain.State.TipHash.ToString(), (string)hashes[4]!);
        Assert.Equal(5, _federation.Chain.State.Height);
    }

    [Theory]
    [InlineData("""{"count":0}""", RpcErrorCodes.InvalidParams, "parameter 'count'")]
    [InlineData("""{"count":10001}""", RpcErrorCodes.InvalidParams, "parameter 'count'")]
    [InlineData("{}", RpcErrorCodes.InvalidParams, "'count'")]
    public async Task Generate_BadCount_InvalidParamsNamingCount(string parameters, int code, string named)
    {
        var error = await CallFails("generate", parameters);

        Assert.Equal(code, error.Code);
        Assert.Contains(named, error.Message);
        Assert.Equal(0, _federation.Chain.State.Height);
    }

    [Fact]
    public async Task Generate_NotDevnet_SaysOnlyAvailableOnDevnet()
    {
        using var testnetLike = new NodeRpcMethodsTests(devnet: false);

        var error = await testnetLike.CallFails("generate", """{"count":1}""");

        Assert.Equal(RpcErrorCodes.MethodNotFound, error.Code);
        Assert.Contains("only available on devnet", error.Message);
    }

    [Fact]
    public async Task GetNetworkInfoAndSyncStatus_WithoutNetworkLayer_SayNotRunning()
    {
        var network = (await Call("get_network_info"))!;
        var sync = (await Call("get_sync_status"))!;

        Assert.False((bool)network["running"]!);
        Assert.Equal(0, (int)network["peers"]!);
        Assert.Equal(42, (long)sync["target_height"]!);
    }
}
