using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TimeCoin.Core.Policy;

namespace TimeCoin.Node.Rpc;

/// <summary>
/// The JSON-RPC 2.0 server over HTTP (Kestrel). On start it writes a fresh cookie file and accepts only POST
/// requests from loopback or <see cref="RpcServerOptions.AllowIps"/> that carry the cookie as HTTP Basic
/// credentials (checked in constant time); on stop it deletes the cookie. What it answers is whatever the
/// <see cref="RpcMethodRegistry"/> holds.
/// </summary>
public sealed class JsonRpcServer : IAsyncDisposable
{
    private readonly RpcServerOptions _options;
    private readonly JsonRpcDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<IpRange> _allowed;
    private WebApplication? _app;
    private byte[] _expectedCredentialsHash = [];

    /// <summary>Creates a server; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Where to listen, the cookie path and limits.</param>
    /// <param name="registry">The methods answered.</param>
    /// <param name="logger">Logger; none when null.</param>
    /// <exception cref="FormatException">An <see cref="RpcServerOptions.AllowIps"/> entry is not an IP address or CIDR
    /// range (<see cref="IpRange.Parse"/>; the config check refuses it first).</exception>
    public JsonRpcServer(RpcServerOptions options, RpcMethodRegistry registry, ILogger? logger = null)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _dispatcher = new JsonRpcDispatcher(registry, _logger);
        // The same parser as the config check (trims, strict dotted quads, ::ffff:a.b.c.d/n read as IPv4), so an entry
        // the check accepted never fails here and matches the callers the check meant.
        _allowed = options.AllowIps.Select(IpRange.Parse).ToList();
    }

    /// <summary>The port actually bound (useful when <see cref="RpcServerOptions.Port"/> was 0); 0 before start.</summary>
    public int Port { get; private set; }

    /// <summary>The URL clients should use, e.g. <c>http://127.0.0.1:24101/</c>.</summary>
    public Uri Url => new($"http://{FormatHost(_options.BindAddress)}:{Port}/");

    /// <summary>Writes the cookie file and starts listening.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="RpcCookieFileException">The cookie file cannot be written.</exception>
    /// <exception cref="IOException">The endpoint cannot be bound (port in use).</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("the RPC server is already started");
        }

        string credentials;
        try
        {
            credentials = RpcCookieFile.Write(_options.CookieFilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RpcCookieFileException(_options.CookieFilePath, ex);
        }
        _expectedCredentialsHash = SHA256.HashData(Encoding.UTF8.GetBytes(credentials));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = _options.MaxRequestBytes;
            kestrel.Listen(_options.BindAddress, _options.Port);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            RpcCookieFile.Delete(_options.CookieFilePath);
            await app.DisposeAsync();
            throw;
        }

        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _logger.LogInformation("JSON-RPC server listening on {Url}, cookie at {CookieFile}", Url, _options.CookieFilePath);
    }

    /// <summary>Stops listening and deletes the cookie file.</summary>
    /// <param name="cancellationToken">Cuts the graceful shutdown short.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
        {
            return;
        }

        var app = _app;
        _app = null;
        try
        {
            await app.StopAsync(cancellationToken);
        }
        finally
        {
            RpcCookieFile.Delete(_options.CookieFilePath);
            await app.DisposeAsync();
        }
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!IsAllowed(context.Connection.RemoteIpAddress))
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (!IsAuthorized(request.Headers.Authorization.ToString()))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            response.Headers.WWWAuthenticate = "Basic realm=\"time-node\"";
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            return;
        }

        var body = await ReadBodyAsync(request, context.RequestAborted);
        if (body is null)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var answer = await _dispatcher.DispatchAsync(body, context.RequestAborted);
        if (answer is null)
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await response.WriteAsync(answer, context.RequestAborted);
    }

    private async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = _options.MaxRequestBytes;
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }

    private bool IsAuthorized(string header)
    {
        const string prefix = "Basic ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] credentials;
        try
        {
            credentials = Convert.FromBase64String(header[prefix.Length..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        // Hashing both sides first makes the comparison constant-time in the length as well as the content.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(credentials), _expectedCredentialsHash);
    }

    /// <summary>True for a loopback caller or one inside an <see cref="RpcServerOptions.AllowIps"/> entry; an
    /// IPv4-mapped IPv6 caller is compared as IPv4, as the entries are (<see cref="IpRange"/>).</summary>
    internal bool IsAllowed(IPAddress? remote)
    {
        if (remote is null)
        {
            return false;
        }

        return IPAddress.IsLoopback(IpRange.Normalize(remote)) || _allowed.Any(range => range.Contains(remote));
    }

    private static string FormatHost(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
}
