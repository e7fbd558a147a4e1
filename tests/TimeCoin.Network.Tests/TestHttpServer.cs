using System.Net;
using System.Net.Sockets;

namespace TimeCoin.Network.Tests;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) that serves test handlers by path.</summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, Func<HttpListenerContext, Task>> _handlers = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();

    public TestHttpServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                BaseAddress = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; } = null!;

    public CancellationToken Stopping => _stopping.Token;

    public Uri Map(string path, Func<HttpListenerContext, Task> handler)
    {
        lock (_handlers)
            _handlers[path] = handler;
        return new Uri(BaseAddress, path);
    }

    public Uri MapText(string path, string body, int status = 200) => Map(path, async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = System.Text.Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    });

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = HandleAsync(context);
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Func<HttpListenerContext, Task>? handler;
        lock (_handlers)
            _handlers.TryGetValue(context.Request.Url!.AbsolutePath, out handler);
        try
        {
            if (handler is null)
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                return;
            }
            await handler(context);
        }
        catch (Exception)
        {
            // The client went away (timeout tests) or the server is stopping.
            try { context.Response.Abort(); } catch (Exception) { }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        _listener.Close();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}
