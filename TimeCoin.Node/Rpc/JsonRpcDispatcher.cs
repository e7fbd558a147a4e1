using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TimeCoin.Node.Rpc;

/// <summary>
/// Turns a JSON-RPC 2.0 request body (single or batch) into a response body using a <see cref="RpcMethodRegistry"/>.
/// Independent of HTTP so it can be tested and reused directly. Handler failures other than
/// <see cref="RpcException"/> are logged and answered with <see cref="RpcErrorCodes.InternalError"/> without details.
/// A body that is not UTF-8 is a parse error; a string of the request that is not text (an escaped lone UTF-16
/// surrogate, which the JSON parser accepts but no string read does) is an invalid request in a member and invalid
/// params in a parameter, so no read of the request throws out of the dispatcher.
/// </summary>
public sealed class JsonRpcDispatcher
{
    private readonly RpcMethodRegistry _registry;
    private readonly ILogger _logger;

    /// <summary>Creates a dispatcher over <paramref name="registry"/>.</summary>
    /// <param name="registry">The methods answered.</param>
    /// <param name="logger">Where handler failures are logged; none when null.</param>
    public JsonRpcDispatcher(RpcMethodRegistry registry, ILogger? logger = null)
    {
        _registry = registry;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Handles one request body.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <param name="cancellationToken">Cancels the handlers.</param>
    /// <returns>The response JSON, or null when every request was a notification (no answer is due).</returns>
    public async Task<string?> DispatchAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        // JsonDocument.Parse checks the JSON grammar but not the UTF-8 inside strings; a later string read would throw.
        if (!Utf8.IsValid(body.Span))
        {
            return Error(null, RpcErrorCodes.ParseError, "parse error: the body is not valid UTF-8").ToJsonString();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            return Error(null, RpcErrorCodes.ParseError, "parse error: " + e.Message).ToJsonString();
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return (await HandleOneAsync(root, cancellationToken))?.ToJsonString();
            }

            if (root.GetArrayLength() == 0)
            {
                return Error(null, RpcErrorCodes.InvalidRequest, "invalid request: empty batch").ToJsonString();
            }

            var responses = new JsonArray();
            foreach (var request in root.EnumerateArray())
            {
                if (await HandleOneAsync(request, cancellationToken) is { } response)
                {
                    responses.Add(response);
                }
            }

            return responses.Count == 0 ? null : responses.ToJsonString();
        }
    }

    private async Task<JsonObject?> HandleOneAsync(JsonElement request, CancellationToken cancellationToken)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return Error(null, RpcErrorCodes.InvalidRequest, "invalid request: expected a JSON object");
        }

        var hasId = request.TryGetProperty("id", out var id);
        if (hasId && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            return Error(null, RpcErrorCodes.InvalidRequest, "invalid request: 'id' must be a string, a number or null");
        }

        if (hasId && !RpcArguments.IsText(id))
        {
            return Error(null, RpcErrorCodes.InvalidRequest, "invalid request: 'id' " + NotText);
        }

        var responseId = hasId ? JsonSerializer.SerializeToNode(id) : null;
        if (!request.TryGetProperty("jsonrpc", out var version) || !RpcArguments.TryGetText(version, out var versionText) || versionText != "2.0")
        {
            return Error(responseId, RpcErrorCodes.InvalidRequest, "invalid request: 'jsonrpc' must be \"2.0\"");
        }

        if (!request.TryGetProperty("method", out var methodName) || methodName.ValueKind != JsonValueKind.String)
        {
            return Error(responseId, RpcErrorCodes.InvalidRequest, "invalid request: 'method' must be a string");
        }

        if (!RpcArguments.TryGetText(methodName, out var name))
        {
            return Error(responseId, RpcErrorCodes.InvalidRequest, "invalid request: 'method' " + NotText);
        }

        var hasParams = request.TryGetProperty("params", out var parameters);
        if (hasParams && parameters.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
        {
            return Error(responseId, RpcErrorCodes.InvalidRequest, "invalid request: 'params' must be an array or an object");
        }

        var response = await InvokeAsync(name, hasParams ? parameters : null, responseId, cancellationToken);
        return hasId ? response : null;
    }

    private async Task<JsonObject> InvokeAsync(string name, JsonElement? parameters, JsonNode? id, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(name, out var method))
        {
            return Error(id, RpcErrorCodes.MethodNotFound, $"method not found: '{name}' (call 'help' for the list)");
        }

        RpcArguments arguments;
        try
        {
            arguments = Bind(method, parameters);
        }
        catch (RpcException e)
        {
            return Error(id, e.Code, e.Message);
        }

        try
        {
            var result = await method.Handler(arguments, cancellationToken);
            return new JsonObject { ["jsonrpc"] = "2.0", ["result"] = result, ["id"] = id };
        }
        catch (RpcException e)
        {
            return Error(id, e.Code, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "RPC method {Method} failed", name);
            return Error(id, RpcErrorCodes.InternalError, $"internal error in '{name}'; see the node log");
        }
    }

    private static RpcArguments Bind(RpcMethod method, JsonElement? parameters)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var declared = method.Parameters;
        if (parameters is { ValueKind: JsonValueKind.Array } positional)
        {
            var count = positional.GetArrayLength();
            if (count > declared.Count)
            {
                throw InvalidParams($"'{method.Name}' takes at most {declared.Count} parameter(s), got {count}");
            }

            var index = 0;
            foreach (var value in positional.EnumerateArray())
            {
                Accept(declared[index++], value, values);
            }
        }
        else if (parameters is { ValueKind: JsonValueKind.Object } named)
        {
            foreach (var property in named.EnumerateObject())
            {
                if (!RpcArguments.IsText(property))
                {
                    throw InvalidParams($"a parameter name of '{method.Name}' {NotText}");
                }

                var parameter = declared.FirstOrDefault(p => p.Name == property.Name)
                    ?? throw InvalidParams($"unknown parameter '{property.Name}' for '{method.Name}'");
                Accept(parameter, property.Value, values);
            }
        }

        var missing = declared.FirstOrDefault(p => p.Required && !values.ContainsKey(p.Name));
        if (missing is not null)
        {
            throw InvalidParams($"missing required parameter '{missing.Name}' ({missing.Description})");
        }

        return new RpcArguments(values);
    }

    private static void Accept(RpcParameter parameter, JsonElement value, Dictionary<string, JsonElement> values)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        var ok = parameter.Kind switch
        {
            RpcParameterKind.String => value.ValueKind == JsonValueKind.String,
            RpcParameterKind.Integer => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            RpcParameterKind.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            RpcParameterKind.StringArray => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String),
            _ => true,
        };
        if (!ok)
        {
            var expected = parameter.Kind switch
            {
                RpcParameterKind.String => "a string",
                RpcParameterKind.Integer => "an integer",
                RpcParameterKind.Boolean => "true or false",
                _ => "an array of strings",
            };
            throw InvalidParams($"parameter '{parameter.Name}' must be {expected}, got {Shorten(value.GetRawText())}");
        }

        if (!RpcArguments.IsText(value))
        {
            throw InvalidParams($"parameter '{parameter.Name}' holds a string that {NotText}");
        }

        values[parameter.Name] = value.Clone();
    }

    private const string NotText = "is not text (it holds an escaped lone UTF-16 surrogate)";

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private static RpcException InvalidParams(string message) => new(RpcErrorCodes.InvalidParams, "invalid params: " + message);

    private static JsonObject Error(JsonNode? id, int code, string message) => new()
    {
        ["jsonrpc"] = "2.0",
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
        ["id"] = id,
    };
}
