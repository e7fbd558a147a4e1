using System.Net;
using Microsoft.Extensions.Time.Testing;
using TimeCoin.Network.Discovery;

namespace TimeCoin.Network.Tests;

public sealed class DiscoveryClientTests : IAsyncLifetime
{
    private const int DefaultPort = 24100;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
    private readonly TestHttpServer _server = new();
    private readonly HttpClient _http = new();
    private readonly FakeTimeProvider _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private DiscoveryClient Client(DiscoveryOptions? options = null) => new(_http, _clock, options);

    [Fact]
    public async Task FetchAsync_GoodList_ReturnsEndpointsWithDefaultPortFilledIn()
    {
        var url = _server.MapText("/api/testnet/peers", """["69.167.168.176", "50.28.104.50:24200", "[2001:db8::1]:24101"]""");

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.False(result.ShouldFallBack, result.Detail);
        Assert.Equal(["69.167.168.176:24100", "50.28.104.50:24200", "[2001:db8::1]:24101"], result.Endpoints.Select(e => e.ToString()));
        Assert.Equal(0, result.SkippedEntries);
    }

    [Fact]
    public async Task FetchAsync_PartlyBadEntries_SkipsAndCountsThem()
    {
        var url = _server.MapText("/peers", """
            ["1.2.3.4", "nonsense", 42, "1.2.3", "10.0.0.1:70000", "node.example.com:24100", null,
             "5.6.7.8:9999", "0.0.0.0", "224.0.0.1", "1.2.3.4", "[::1]", "[::1]:0", {"ip": "9.9.9.9"}]
            """);

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(["1.2.3.4:24100", "5.6.7.8:9999", "[::1]:24100"], result.Endpoints.Select(e => e.ToString()));
        Assert.Equal(10, result.SkippedEntries);
        Assert.False(result.ShouldFallBack);
    }

    [Fact]
    public async Task FetchAsync_MalformedJson_FallsBack()
    {
        var url = _server.MapText("/peers", """["1.2.3.4", """);

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Malformed, result.Failure);
        Assert.True(result.ShouldFallBack);
        Assert.Empty(result.Endpoints);
    }

    [Fact]
    public async Task FetchAsync_JsonObjectInsteadOfArray_FallsBackAsMalformed()
    {
        var url = _server.MapText("/peers", """{"peers": ["1.2.3.4"]}""");

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Malformed, result.Failure);
        Assert.Contains("Object", result.Detail);
    }

    [Fact]
    public async Task FetchAsync_EmptyArray_FallsBackAsEmpty()
    {
        var url = _server.MapText("/peers", "[]");

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Empty, result.Failure);
        Assert.True(result.ShouldFallBack);
    }

    [Fact]
    public async Task FetchAsync_OnlyBadEntries_FallsBackWithSkippedCount()
    {
        var url = _server.MapText("/peers", """["x", "y:1", 3]""");

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Empty, result.Failure);
        Assert.Equal(3, result.SkippedEntries);
    }

    [Fact]
    public async Task FetchAsync_ServerError_FallsBackWithStatus()
    {
        var url = _server.MapText("/peers", "oops", status: 500);

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.HttpStatus, result.Failure);
        Assert.Contains("500", result.Detail);
    }

    [Fact]
    public async Task FetchAsync_AnnouncedLengthAboveCap_FallsBackAsOversized()
    {
        var url = _server.MapText("/peers", "[" + string.Join(",", Enumerable.Repeat("\"1.2.3.4\"", 1000)) + "]");

        var result = await Client(new DiscoveryOptions { MaxResponseBytes = 1000 }).FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Oversized, result.Failure);
        Assert.Contains("announced", result.Detail);
    }

    [Fact]
    public async Task FetchAsync_ChunkedBodyAboveDefaultCap_StopsReadingAndFallsBack()
    {
        var url = _server.Map("/peers", async context =>
        {
            context.Response.SendChunked = true;
            var chunk = System.Text.Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            await context.Response.OutputStream.WriteAsync("["u8.ToArray());
            for (int i = 0; i < 64; i++) // 4 MiB of whitespace, well above the 1 MiB cap
                await context.Response.OutputStream.WriteAsync(chunk);
            await context.Response.OutputStream.WriteAsync("]"u8.ToArray());
            context.Response.Close();
        });

        var result = await Client().FetchAsync(url, DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.Oversized, result.Failure);
        Assert.Contains("more than the cap of 1048576", result.Detail);
    }

    [Fact]
    public async Task FetchAsync_ServerNeverAnswers_TimesOutOnTheClock()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var url = _server.Map("/peers", async context =>
        {
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, _server.Stopping);
        });

        var fetch = Client().FetchAsync(url, DefaultPort);
        await arrived.Task.WaitAsync(Guard);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var result = await fetch.WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.TimedOut, result.Failure);
        Assert.True(result.ShouldFallBack);
    }

    [Fact]
    public async Task FetchAsync_BodyStallsHalfway_TimesOut()
    {
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var url = _server.Map("/peers", async context =>
        {
            context.Response.SendChunked = true;
            await context.Response.OutputStream.WriteAsync("[\"1.2.3.4\","u8.ToArray());
            await context.Response.OutputStream.FlushAsync();
            halfSent.TrySetResult();
            await Task.Delay(Timeout.Infinite, _server.Stopping);
        });

        var fetch = Client().FetchAsync(url, DefaultPort);
        await halfSent.Task.WaitAsync(Guard);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var result = await fetch.WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.TimedOut, result.Failure);
    }

    [Fact]
    public async Task FetchAsync_NothingListening_FallsBackAsNetworkError()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var result = await Client().FetchAsync(new Uri($"http://127.0.0.1:{port}/peers"), DefaultPort).WaitAsync(Guard);

        Assert.Equal(DiscoveryFailure.NetworkError, result.Failure);
    }

    [Fact]
    public async Task FetchAsync_CallerCancels_Throws()
    {
        var url = _server.Map("/peers", context => Task.Delay(Timeout.Infinite, _server.Stopping));
        using var cts = new CancellationTokenSource();

        var fetch = Client().FetchAsync(url, DefaultPort, cts.Token);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.WaitAsync(Guard));
    }
}
