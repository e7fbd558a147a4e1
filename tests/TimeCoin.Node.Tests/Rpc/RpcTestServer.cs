using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Tests.Rpc;

/// <summary>A JSON-RPC server on 127.0.0.1 port 0 with the built-ins and a few fake methods, in a temporary data dir.</summary>
public sealed class RpcTestServer : IAsyncDisposable
{
    private RpcTestServer(string dataDir, JsonRpcServer server, FakeTimeProvider clock)
    {
        DataDir = dataDir;
        Server = server;
        Clock = clock;
    }

    public string DataDir { get; }

    public string CookiePath => Path.Combine(DataDir, ".cookie");

    public JsonRpcServer Server { get; }

    public FakeTimeProvider Clock { get; }

    public static async Task<RpcTestServer> StartAsync(int maxRequestBytes = 64 * 1024, Action<RpcMethodRegistry>? register = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "time-rpc-" + Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var registry = new RpcMethodRegistry();
        BuiltInRpcMethods.Register(registry, clock);
        registry.Register(
            "echo",
            "Returns its arguments.",
            [
                new RpcParameter("text", RpcParameterKind.String, true, "text to echo"),
                new RpcParameter("times", RpcParameterKind.Integer, false, "repetitions"),
                new RpcParameter("loud", RpcParameterKind.Boolean, false, "upper-case"),
            ],
            (args, _) =>
            {
                var text = args.GetString("text")!;
                if (args.GetBoolean("loud", false) == true)
                {
                    text = text.ToUpperInvariant();
                }

                return ValueTask.FromResult<JsonNode?>(string.Concat(Enumerable.Repeat(text, (int)args.GetInt64("times", 1)!)));
            });
        registry.Register("crash", "Throws an unexpected exception.", [], (_, _) =>
            throw new InvalidOperationException("secret detail at /home/op/keys"));
        registry.Register("refuse", "Throws an RPC error.", [], (_, _) =>
            throw new RpcException(-8, "range is not whitelisted"));
        register?.Invoke(registry);

        var server = new JsonRpcServer(
            new RpcServerOptions { Port = 0, CookieFilePath = Path.Combine(dataDir, ".cookie"), MaxRequestBytes = maxRequestBytes },
            registry);
        await server.StartAsync(CancellationToken.None);
        return new RpcTestServer(dataDir, server, clock);
    }

    public HttpClient CreateClient(string? credentials)
    {
        var client = new HttpClient { BaseAddress = Server.Url };
        if (credentials is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }

        return client;
    }

    public HttpClient CreateAuthorizedClient() => CreateClient(File.ReadAllText(CookiePath));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
