using System.Net;
using System.Text.Json;

namespace TimeCoin.Network.Discovery;

/// <summary>
/// Fetches a network's peer list from its discovery URL: a JSON array of "ip" or "ip:port" strings (IPv6 as
/// "[addr]:port"). Bad entries are skipped and counted. A failed, slow, oversized, malformed or empty fetch returns
/// a result whose <see cref="DiscoveryResult.ShouldFallBack"/> is true; nothing the server does makes it throw.
/// The deadline runs on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class DiscoveryClient
{
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly DiscoveryOptions _options;

    /// <summary>Creates a client.</summary>
    /// <param name="http">The HTTP client (its handler decides proxies and TLS); not disposed by this class.</param>
    /// <param name="time">Clock for the timeout.</param>
    /// <param name="options">Timeout and caps; defaults when null.</param>
    public DiscoveryClient(HttpClient http, TimeProvider time, DiscoveryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _time = time;
        _options = options ?? new DiscoveryOptions();
    }

    /// <summary>Fetches and parses the peer list at <paramref name="url"/>.</summary>
    /// <param name="url">The discovery URL.</param>
    /// <param name="defaultPort">Port for entries without one (the network's default P2P port).</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<DiscoveryResult> FetchAsync(Uri url, int defaultPort, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(defaultPort, 65535);
        using var deadline = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        byte[] body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (!response.IsSuccessStatusCode)
                return DiscoveryResult.Failed(DiscoveryFailure.HttpStatus, $"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength is long announced && announced > _options.MaxResponseBytes)
                return DiscoveryResult.Failed(DiscoveryFailure.Oversized, $"{url} announced {announced} bytes, the cap is {_options.MaxResponseBytes}");
            var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            await using (stream)
            {
                var read = await ReadCappedAsync(stream, linked.Token);
                if (read is null)
                    return DiscoveryResult.Failed(DiscoveryFailure.Oversized, $"{url} sent more than the cap of {_options.MaxResponseBytes} bytes");
                body = read;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return DiscoveryResult.Failed(DiscoveryFailure.TimedOut, $"{url} did not answer within {_options.Timeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
        {
            return DiscoveryResult.Failed(DiscoveryFailure.NetworkError, $"{url}: {ex.GetType().Name}: {ex.Message}");
        }
        return Parse(url, body, defaultPort);
    }

    private DiscoveryResult Parse(Uri url, byte[] body, int defaultPort)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            return DiscoveryResult.Failed(DiscoveryFailure.Malformed, $"{url} sent invalid JSON: {ex.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                return DiscoveryResult.Failed(DiscoveryFailure.Malformed, $"{url} sent a JSON {document.RootElement.ValueKind}, expected an array of addresses");
            var endpoints = new List<IPEndPoint>();
            var seen = new HashSet<IPEndPoint>();
            int skipped = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String
                    || !PeerAddressParser.TryParse(element.GetString(), defaultPort, out var endpoint, out _))
                {
                    skipped++;
                    continue;
                }
                if (endpoints.Count < _options.MaxEndpoints && seen.Add(endpoint))
                    endpoints.Add(endpoint);
            }
            if (endpoints.Count == 0)
                return DiscoveryResult.Failed(DiscoveryFailure.Empty, $"{url} listed no valid address ({skipped} skipped)", skipped);
            return new DiscoveryResult(endpoints, skipped, null, $"{url} listed {endpoints.Count} peers ({skipped} skipped)");
        }
    }

    /// <summary>The whole body, or null when it is larger than the cap (reading stops at cap + 1 bytes).</summary>
    private async Task<byte[]?> ReadCappedAsync(Stream stream, CancellationToken token)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            int n = await stream.ReadAsync(chunk, token);
            if (n == 0)
                return buffer.ToArray();
            if (buffer.Length + n > _options.MaxResponseBytes)
                return null;
            buffer.Write(chunk, 0, n);
        }
    }
}
