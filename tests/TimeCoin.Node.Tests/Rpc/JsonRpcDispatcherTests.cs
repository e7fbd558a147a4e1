using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Tests.Rpc;

/// <summary>
/// The dispatcher without HTTP: text the JSON parser accepts but a string read rejects (bytes that are not UTF-8,
/// escaped lone surrogates) gets a JSON-RPC error naming what is wrong, never an exception out of the dispatcher.
/// </summary>
public sealed class JsonRpcDispatcherTests
{
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly Sync.RecordingLogger<JsonRpcDispatcher> _log = new();

    public JsonRpcDispatcherTests()
    {
        var registry = new RpcMethodRegistry();
        BuiltInRpcMethods.Register(registry, new FakeTimeProvider());
        registry.Register("echo", "Returns its text.", [new RpcParameter("text", RpcParameterKind.String, true, "text to echo")],
            (args, _) => ValueTask.FromResult<JsonNode?>(args.GetString("text")));
        registry.Register("join", "Joins strings.", [new RpcParameter("parts", RpcParameterKind.StringArray, true, "strings")],
            (args, _) => ValueTask.FromResult<JsonNode?>(string.Join("+", args.GetStringArray("parts"))));
        registry.Register("keys", "Names and string values of an object.", [new RpcParameter("object", RpcParameterKind.Any, true, "an object")],
            (args, _) => ValueTask.FromResult<JsonNode?>(string.Join(",", args.GetJson("object")!.Value.EnumerateObject()
                .Select(p => p.Name + "=" + (p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())))));
        _dispatcher = new JsonRpcDispatcher(registry, _log);
    }

    private async Task<JsonNode> DispatchAsync(byte[] body) => JsonNode.Parse((await _dispatcher.DispatchAsync(body, CancellationToken.None))!)!;

    private static byte[] WithByte(string json, byte value)
    {
        // The marker '~' in json is replaced by one raw byte.
        var bytes = Encoding.UTF8.GetBytes(json);
        bytes[Array.IndexOf(bytes, (byte)'~')] = value;
        return bytes;
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime~","id":1}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"help","params":["up~"],"id":1}""")]
    [InlineData("""{"jsonrpc":"2.0~","method":"uptime","id":1}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime","id":"a~"}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"echo","params":{"te~xt":"a"},"id":1}""")]
    [InlineData("""[{"jsonrpc":"2.0","method":"uptime","id":1},{"jsonrpc":"2.0","method":"uptime~","id":2}]""")]
    public async Task Dispatch_BodyNotUtf8_ParseErrorWithNullId(string json)
    {
        var response = await DispatchAsync(WithByte(json, 0xFF));

        Assert.Equal(RpcErrorCodes.ParseError, (int)response["error"]!["code"]!);
        Assert.Contains("UTF-8", (string)response["error"]!["message"]!);
        Assert.Null(response["id"]);
        Assert.Empty(_log.Entries);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime\uD800","id":1}""", "'method'")]
    [InlineData("""{"jsonrpc":"2.0\uDC00","method":"uptime","id":1}""", "'jsonrpc'")]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime","id":"\uD800"}""", "'id'")]
    public async Task Dispatch_UnreadableMemberString_InvalidRequestNamingTheMember(string json, string member)
    {
        var response = await DispatchAsync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(RpcErrorCodes.InvalidRequest, (int)response["error"]!["code"]!);
        Assert.Contains(member, (string)response["error"]!["message"]!);
        Assert.Empty(_log.Entries);
    }

    [Theory]
    [InlineData("help", """["up\uD800"]""", "'method'")]
    [InlineData("echo", """{"text":"\uDFFFa"}""", "'text'")]
    [InlineData("echo", """{"te\uD800xt":"a"}""", "parameter name")]
    [InlineData("join", """[["a","b\uD800"]]""", "'parts'")]
    [InlineData("keys", """[{"a":{"b":["\uD800"]}}]""", "'object'")]
    [InlineData("keys", """[{"a\uD800":1}]""", "'object'")]
    public async Task Dispatch_UnreadableParameterString_InvalidParamsNamingTheParameter(string method, string parameters, string named)
    {
        var response = await DispatchAsync(Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"{{method}}","params":{{parameters}},"id":7}"""));

        Assert.Equal(RpcErrorCodes.InvalidParams, (int)response["error"]!["code"]!);
        Assert.Contains(named, (string)response["error"]!["message"]!);
        Assert.Equal(7, (int)response["id"]!);
        Assert.Empty(_log.Entries);
    }

    [Fact]
    public async Task Dispatch_EscapedSurrogatePair_IsReadAsText()
    {
        var response = await DispatchAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"echo","params":["\uD83D\uDE00"],"id":1}"""));

        Assert.Equal("\U0001F600", (string)response["result"]!);
    }

    [Fact]
    public void Arguments_ReadOfUnreadableString_IsInvalidParams()
    {
        using var document = JsonDocument.Parse("""{"text":"\uD800","parts":["\uD800"]}""");
        var arguments = new RpcArguments(document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value));

        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<RpcException>(() => arguments.GetString("text")).Code);
        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<RpcException>(() => arguments.GetStringArray("parts")).Code);
        Assert.Equal(RpcErrorCodes.InvalidParams, Assert.Throws<RpcException>(() => arguments.GetInt64("text")).Code);
    }
}
