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
    public string? GetString(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value.GetString() : fallback;

    /// <summary>An integer parameter, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">Value when absent.</param>
    public long? GetInt64(string name, long? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value.GetInt64() : fallback;

    /// <summary>A boolean parameter, or <paramref name="fallback"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="fallback">Value when absent.</param>
    public bool? GetBoolean(string name, bool? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value.GetBoolean() : fallback;

    /// <summary>A string-array parameter, or an empty list when absent.</summary>
    /// <param name="name">The parameter name.</param>
    public IReadOnlyList<string> GetStringArray(string name) =>
        _values.TryGetValue(name, out var value) ? value.EnumerateArray().Select(e => e.GetString()!).ToList() : [];

    /// <summary>The raw JSON of a parameter, or null when absent.</summary>
    /// <param name="name">The parameter name.</param>
    public JsonElement? GetJson(string name) => _values.TryGetValue(name, out var value) ? value : null;
}
