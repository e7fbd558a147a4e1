using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Tests.Rpc;

public sealed class JsonRpcServerTests : IAsyncLifetime
{
    private RpcTestServer _server = null!;

    public async Task InitializeAsync() => _server = await RpcTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<JsonNode> CallAsync(string body)
    {
        using var client = _server.CreateAuthorizedClient();
        using var response = await client.PostAsync("/", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<(int Code, string Message)> ErrorOfAsync(string body)
    {
        var response = await CallAsync(body);
        Assert.Null(response["result"]);
        return ((int)response["error"]!["code"]!, (string)response["error"]!["message"]!);
    }

    [Fact]
    public void StartAsync_WritesCookieWithRandomHexSecret()
    {
        var cookie = File.ReadAllText(_server.CookiePath);

        Assert.Matches("^__cookie__:[0-9a-f]{64}$", cookie);
    }

    [Fact]
    public void StartAsync_CookieIsReadableByOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.CookiePath));
    }

    [Fact]
    public async Task StopAsync_DeletesCookie()
    {
        await _server.Server.StopAsync(CancellationToken.None);

        Assert.False(File.Exists(_server.CookiePath));
    }

    [Fact]
    public async Task StartAsync_Twice_UsesANewCookieEachTime()
    {
        await using var other = await RpcTestServer.StartAsync();

        Assert.NotEqual(File.ReadAllText(_server.CookiePath), File.ReadAllText(other.CookiePath));
    }

    [Fact]
    public async Task Post_WithoutCredentials_Returns401()
    {
        using var client = _server.CreateClient(null);

        using var response = await client.PostAsync("/", Json("""{"jsonrpc":"2.0","method":"uptime","id":1}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());
        Assert.DoesNotContain("result", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("__cookie__:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("__cookie__:")]
    [InlineData("someone:password")]
    public async Task Post_WithWrongCredentials_Returns401(string credentials)
    {
        using var client = _server.CreateClient(credentials);

        using var response = await client.PostAsync("/", Json("""{"jsonrpc":"2.0","method":"uptime","id":1}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_WithCookieOfAPreviousRun_Returns401()
    {
        var oldCookie = File.ReadAllText(_server.CookiePath);
        await _server.Server.StopAsync(CancellationToken.None);
        await using var restarted = await RpcTestServer.StartAsync();
        using var client = restarted.CreateClient(oldCookie);

        using var response = await client.PostAsync("/", Json("""{"jsonrpc":"2.0","method":"uptime","id":1}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Get_IsRejectedWith405()
    {
        using var client = _server.CreateAuthorizedClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Post_PositionalParams_CallsMethod()
    {
        var response = await CallAsync("""{"jsonrpc":"2.0","method":"echo","params":["ab", 3],"id":7}""");

        Assert.Equal("ababab", (string)response["result"]!);
        Assert.Equal(7, (int)response["id"]!);
        Assert.Equal("2.0", (string)response["jsonrpc"]!);
    }

    [Fact]
    public async Task Post_NamedParams_CallsMethod()
    {
        var response = await CallAsync("""{"jsonrpc":"2.0","method":"echo","params":{"loud":true,"text":"ab"},"id":"x"}""");

        Assert.Equal("AB", (string)response["result"]!);
        Assert.Equal("x", (string)response["id"]!);
    }

    [Fact]
    public async Task Post_NullForOptionalParam_UsesDefault()
    {
        var response = await CallAsync("""{"jsonrpc":"2.0","method":"echo","params":["ab", null, true],"id":1}""");

        Assert.Equal("AB", (string)response["result"]!);
    }

    [Fact]
    public async Task Post_InvalidJson_ReturnsParseError()
    {
        var (code, _) = await ErrorOfAsync("""{"jsonrpc":"2.0","method":""");

        Assert.Equal(RpcErrorCodes.ParseError, code);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Post_BodyNotUtf8_ReturnsParseErrorWith200()
    {
        var body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"uptime?","id":1}""");
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;
        using var client = _server.CreateAuthorizedClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await client.PostAsync("/", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(RpcErrorCodes.ParseError, (int)error["code"]!);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1}""", "'method'")]
    [InlineData("""{"jsonrpc":"1.0","method":"uptime","id":1}""", "'jsonrpc'")]
    [InlineData("""{"method":"uptime","id":1}""", "'jsonrpc'")]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime","params":5,"id":1}""", "'params'")]
    [InlineData("""{"jsonrpc":"2.0","method":"uptime","id":{"a":1}}""", "'id'")]
    [InlineData("""[]""", "empty batch")]
    [InlineData("""42""", "object")]
    public async Task Post_MalformedRequest_ReturnsInvalidRequest(string body, string mentioned)
    {
        var (code, message) = await ErrorOfAsync(body);

        Assert.Equal(RpcErrorCodes.InvalidRequest, code);
        Assert.Contains(mentioned, message);
    }

    [Fact]
    public async Task Post_UnknownMethod_ReturnsMethodNotFoundNamingIt()
    {
        var (code, message) = await ErrorOfAsync("""{"jsonrpc":"2.0","method":"get_moon","id":1}""");

        Assert.Equal(RpcErrorCodes.MethodNotFound, code);
        Assert.Contains("get_moon", message);
    }

    [Theory]
    [InlineData("""["ab", "three"]""", "'times' must be an integer")]
    [InlineData("""["ab", 1.5]""", "'times' must be an integer")]
    [InlineData("""{"text": 5}""", "'text' must be a string")]
    [InlineData("""{"times": 2}""", "missing required parameter 'text'")]
    [InlineData("""[]""", "missing required parameter 'text'")]
    [InlineData("""{"text": "a", "colour": "red"}""", "unknown parameter 'colour'")]
    [InlineData("""["a", 1, true, "extra"]""", "at most 3 parameter(s), got 4")]
    public async Task Post_BadParams_ReturnsInvalidParamsNamingTheParameter(string parameters, string expected)
    {
        var (code, message) = await ErrorOfAsync($$"""{"jsonrpc":"2.0","method":"echo","params":{{parameters}},"id":1}""");

        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains(expected, message);
    }

    [Fact]
    public async Task Post_HandlerThrows_ReturnsInternalErrorWithoutDetails()
    {
        using var client = _server.CreateAuthorizedClient();
        using var response = await client.PostAsync("/", Json("""{"jsonrpc":"2.0","method":"crash","id":1}"""));
        var text = await response.Content.ReadAsStringAsync();

        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(RpcErrorCodes.InternalError, (int)error["code"]!);
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        Assert.DoesNotContain(" at ", text);
    }

    [Fact]
    public async Task Post_HandlerThrowsRpcException_ReturnsItsCodeAndMessage()
    {
        var (code, message) = await ErrorOfAsync("""{"jsonrpc":"2.0","method":"refuse","id":1}""");

        Assert.Equal(-8, code);
        Assert.Equal("range is not whitelisted", message);
    }

    [Fact]
    public async Task Post_Batch_AnswersEachRequestAndSkipsNotifications()
    {
        var response = await CallAsync("""
            [
              {"jsonrpc":"2.0","method":"echo","params":["a"],"id":1},
              {"jsonrpc":"2.0","method":"echo","params":["n"]},
              {"jsonrpc":"2.0","method":"nope","id":2},
              {"foo":"bar"},
              {"jsonrpc":"2.0","method":"uptime","id":3}
            ]
            """);

        var answers = response.AsArray();
        Assert.Equal(4, answers.Count);
        Assert.Equal("a", (string)answers[0]!["result"]!);
        Assert.Equal(RpcErrorCodes.MethodNotFound, (int)answers[1]!["error"]!["code"]!);
        Assert.Equal(2, (int)answers[1]!["id"]!);
        Assert.Equal(RpcErrorCodes.InvalidRequest, (int)answers[2]!["error"]!["code"]!);
        Assert.Equal(3, (int)answers[3]!["id"]!);
    }

    [Fact]
    public async Task Post_OnlyNotifications_Returns204WithNoBody()
    {
        using var client = _server.CreateAuthorizedClient();

        using var response = await client.PostAsync("/", Json("""[{"jsonrpc":"2.0","method":"uptime"}]"""));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_BodyOverCap_Returns413()
    {
        using var client = _server.CreateAuthorizedClient();
        var big = new string('a', 70 * 1024);

        using var response = await client.PostAsync("/", Json($$"""{"jsonrpc":"2.0","method":"echo","params":["{{big}}"],"id":1}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverCap_Returns413()
    {
        using var client = _server.CreateAuthorizedClient();
        var big = Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","method":"echo","params":["{{new string('a', 70 * 1024)}}"],"id":1}""");
        using var content = new StreamContent(new MemoryStream(big));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_BodyUnderCap_IsAccepted()
    {
        var text = new string('a', 60 * 1024);

        var response = await CallAsync($$"""{"jsonrpc":"2.0","method":"echo","params":["{{text}}"],"id":1}""");

        Assert.Equal(text, (string)response["result"]!);
    }

    [Fact]
    public async Task Help_ListsEveryMethodWithItsDescription()
    {
        var response = await CallAsync("""{"jsonrpc":"2.0","method":"help","id":1}""");

        var lines = ((string)response["result"]!).Split('\n');
        Assert.Equal(["crash", "echo", "help", "refuse", "uptime"], lines.Select(l => l.Split(' ')[0]));
        Assert.Contains(lines, l => l.StartsWith("echo text [times] [loud]", StringComparison.Ordinal) && l.EndsWith("Returns its arguments.", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("uptime ", StringComparison.Ordinal) && l.EndsWith("Seconds since the node started.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_ForOneMethod_DescribesItsParameters()
    {
        var response = await CallAsync("""{"jsonrpc":"2.0","method":"help","params":["echo"],"id":1}""");

        var text = (string)response["result"]!;
        Assert.Contains("times (integer, optional): repetitions", text);
        Assert.Contains("text (string, required): text to echo", text);
    }

    [Fact]
    public async Task Help_ForUnknownMethod_ReturnsInvalidParams()
    {
        var (code, message) = await ErrorOfAsync("""{"jsonrpc":"2.0","method":"help","params":["nope"],"id":1}""");

        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("'method'", message);
    }

    [Fact]
    public async Task Uptime_ReportsSecondsSinceStart()
    {
        _server.Clock.Advance(TimeSpan.FromSeconds(125.7));

        var response = await CallAsync("""{"jsonrpc":"2.0","method":"uptime","id":1}""");

        Assert.Equal(125, (long)response["result"]!);
    }
}
