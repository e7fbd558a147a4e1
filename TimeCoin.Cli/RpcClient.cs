using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TimeCoin.Cli;

/// <summary>A JSON-RPC 2.0 client for <c>time-node</c> over HTTP with Basic authentication (cookie or user/password).</summary>
public sealed class RpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private long _nextId;

    /// <summary>Creates a client.</summary>
    /// <param name="url">The node's RPC URL, e.g. <c>http://127.0.0.1:24101/</c>.</param>
    /// <param name="credentials">The credentials, <c>user:password</c> (the cookie file's content).</param>
    /// <param name="timeout">How long to wait for an answer.</param>
    public RpcClient(Uri url, string credentials, TimeSpan timeout)
    {
        _url = url;
        _http = new HttpClient { Timeout = timeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
    }

    /// <summary>Calls <paramref name="method"/> with named parameters and returns its result.</summary>
    /// <param name="method">The RPC method.</param>
    /// <param name="parameters">Named parameters; absent ones are left out.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="RpcCallException">The node answered with an error.</exception>
    /// <exception cref="NodeUnreachableException">No node answered.</exception>
    public async Task<JsonNode?> CallAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = method,
            ["params"] = parameters,
            ["id"] = Interlocked.Increment(ref _nextId),
        };
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(_url, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new NodeUnreachableException($"cannot reach time-node at {_url}; is it running? ({e.Message})", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NodeUnreachableException($"time-node at {_url} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.Unauthorized:
                    throw new RpcCallException(-401, "the node rejected the credentials (HTTP 401); check --datadir (cookie) or --rpc-user/--rpc-password");
                case HttpStatusCode.Forbidden:
                    throw new RpcCallException(-403, "the node does not accept RPC from this address (HTTP 403); see [rpc] allow_ips");
                case HttpStatusCode.RequestEntityTooLarge:
                    throw new RpcCallException(-413, "the request is larger than the node accepts (HTTP 413); see [rpc] max_request_bytes");
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonNode? answer;
            try
            {
                answer = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                answer = null;
            }

            if (answer is not JsonObject answerObject)
            {
                throw new RpcCallException(-(int)response.StatusCode, $"unexpected answer from {_url} (HTTP {(int)response.StatusCode}); is this a time-node RPC port?");
            }

            if (answerObject["error"] is JsonObject error)
            {
                var code = error["code"] is JsonValue codeValue && codeValue.TryGetValue<int>(out var c) ? c : 0;
                throw new RpcCallException(code, error["message"]?.ToString() ?? "(no message)");
            }

            return answerObject["result"]?.DeepClone();
        }
    }

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _http.Dispose();
}
