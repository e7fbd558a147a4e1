using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TimeCoin.Node.Rpc;

/// <summary>
/// The arguments of one call, bound by name whether the client sent them positionally or named, and already
/// checked against the method's <see cref="RpcParameter"/> declarations. Absent optional parameters (or JSON
/// <c>null</c>) read as the default given.
/// </summary>
public sealed class RpcArguments
{
    private readonly IReadOnlyDictionary<string, JsonElement> _values;

    /// <summary>Creates arguments from checked values keyed by parameter name.</summary>
    /// <param name="values">Values of the parameters present.</param>
    public RpcArguments(IReadOnlyDictionary<string, JsonElement> values)
    {
        _values = values;
    }

    /// <summary>No arguments.</summary>
    public static RpcArguments Empty { get; } = new(new Dictionary<string, JsonElement>());

    /// <summary>Whether the parameter was given (and not null).</summary>
    /// <param name="name">The parameter name.</param>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>A string parameter, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">Value when absent.</param>
    /// <exception cref="RpcException">The value is not a string (<see cref="RpcErrorCodes.InvalidParams"/>).</exception>
    public string? GetString(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? Read(name, value, v => v.GetString()) : fallback;

    /// <summary>An integer parameter, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">Value when absent.</param>
    /// <exception cref="RpcException">The value is not a 64-bit integer (<see cref="RpcErrorCodes.InvalidParams"/>).</exception>
    public long? GetInt64(string name, long? fallback = null) =>
        _values.TryGetValue(name, out var value) ? Read(name, value, v => v.GetInt64()) : fallback;

    /// <summary>A boolean parameter, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">Value when absent.</param>
    /// <exception cref="RpcException">The value is not true or false (<see cref="RpcErrorCodes.InvalidParams"/>).</exception>
    public bool? GetBoolean(string name, bool? fallback = null) =>
        _values.TryGetValue(name, out var value) ? Read(name, value, v => v.GetBoolean()) : fallback;

    /// <summary>A string-array parameter, or an empty list when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <exception cref="RpcException">The value is not an array of strings (<see cref="RpcErrorCodes.InvalidParams"/>).</exception>
    public IReadOnlyList<string> GetStringArray(string name) =>
        _values.TryGetValue(name, out var value) ? Read(name, value, v => v.EnumerateArray().Select(e => e.GetString()!).ToList()) : [];

    /// <summary>The raw JSON of a parameter, or null when absent.</summary>
    /// <param name="name">The parameter name.</param>
    public JsonElement? GetJson(string name) => _values.TryGetValue(name, out var value) ? value : null;

    /// <summary>Reads <paramref name="element"/> as a string: false when it is not a string or not text (an escaped
    /// lone UTF-16 surrogate, which the JSON parser accepts but <see cref="JsonElement.GetString"/> refuses).</summary>
    internal static bool TryGetText(JsonElement element, [NotNullWhen(true)] out string? text)
    {
        text = null;
        if (element.ValueKind != JsonValueKind.String)
            return false;
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Whether every string and property name in <paramref name="element"/> (at any depth) reads as text.</summary>
    internal static bool IsText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => TryGetText(element, out _),
        JsonValueKind.Array => element.EnumerateArray().All(IsText),
        JsonValueKind.Object => element.EnumerateObject().All(p => IsText(p) && IsText(p.Value)),
        _ => true,
    };

    /// <summary>Whether the name of <paramref name="property"/> reads as text.</summary>
    internal static bool IsText(JsonProperty property)
    {
        try
        {
            _ = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // The dispatcher checks kinds and text before the handler runs; a read that still fails (a handler reading a
    // parameter as another kind than it declared) is the caller's bad parameter, not an internal error.
    private static T Read<T>(string name, JsonElement value, Func<JsonElement, T> read)
    {
        try
        {
            return read(value);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: parameter '{name}' cannot be read ({e.Message})");
        }
    }
}
