using System.Globalization;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace TimeCoin.Node.Config;

/// <summary>
/// Reads one TOML table of the config: typed values with range checks, each error naming the dotted key, the
/// file and the line; remembers which keys were read so the rest can be reported as unknown.
/// </summary>
internal sealed class ConfigTableReader
{
    private readonly TomlTable _table;
    private readonly string _prefix;
    private readonly string _sourceName;
    private readonly ITomlMetadataStore _metadata;
    private readonly List<ConfigError> _errors;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly ISet<string>? _keysRead;

    /// <param name="table">The table to read.</param>
    /// <param name="prefix">Dotted name of the table ("" for the root).</param>
    /// <param name="sourceName">File name for error messages.</param>
    /// <param name="metadata">Tomlyn's spans, for line numbers.</param>
    /// <param name="errors">Where errors are collected.</param>
    /// <param name="keysRead">When set, every value key asked for is added to it (dotted), and an absent section is
    /// read as an empty table so that its keys are asked for too: this lists the loader's keys.</param>
    public ConfigTableReader(TomlTable table, string prefix, string sourceName, ITomlMetadataStore metadata, List<ConfigError> errors,
        ISet<string>? keysRead = null)
    {
        _table = table;
        _prefix = prefix;
        _sourceName = sourceName;
        _metadata = metadata;
        _errors = errors;
        _keysRead = keysRead;
    }

    /// <summary>A string value; <paramref name="validate"/> returns an expectation text when the value is wrong.</summary>
    public string String(string key, string fallback, Func<string, string?>? validate = null)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value is not string text)
        {
            Error(key, $"expected a string, got {Describe(value)}");
            return fallback;
        }

        if (validate?.Invoke(text) is { } expectation)
        {
            Error(key, $"expected {expectation}, got {Describe(text)}");
            return fallback;
        }

        return text;
    }

    /// <summary>An integer value within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string key, int fallback, int min, int max)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value is long number && number >= min && number <= max)
        {
            return (int)number;
        }

        Error(key, $"expected an integer from {min} to {max}, got {Describe(value)}");
        return fallback;
    }

    /// <summary>A boolean value.</summary>
    public bool Bool(string key, bool fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value is bool flag)
        {
            return flag;
        }

        Error(key, $"expected true or false, got {Describe(value)}");
        return fallback;
    }

    /// <summary>An array of strings; each item is checked by <paramref name="validate"/>, and every bad item is reported.</summary>
    public IReadOnlyList<string> StringList(string key, IReadOnlyList<string> fallback, string expectation, Func<string, bool> validate)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value is not TomlArray array)
        {
            Error(key, $"expected an array of strings, got {Describe(value)}");
            return fallback;
        }

        var items = new List<string>(array.Count);
        var ok = true;
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is string text && validate(text))
            {
                items.Add(text);
                continue;
            }

            ok = false;
            Error(key, $"item {i}: expected {expectation}, got {Describe(array[i])}");
        }

        return ok ? items : fallback;
    }

    /// <summary>Reports <paramref name="message"/> against <paramref name="key"/> of this table (file, line, dotted key).</summary>
    public void ReportError(string key, string message) => Error(key, message);

    /// <summary>A sub-table (<c>[p2p]</c>), or null when absent or not a table (the latter is reported).</summary>
    public ConfigTableReader? Section(string key)
    {
        if (!TryGet(key, out var value, isSection: true))
        {
            return _keysRead is null ? null : new ConfigTableReader(new TomlTable(), Dotted(key), _sourceName, _metadata, _errors, _keysRead);
        }

        if (value is TomlTable table)
        {
            return new ConfigTableReader(table, Dotted(key), _sourceName, _metadata, _errors, _keysRead);
        }

        Error(key, $"expected a table ([{Dotted(key)}]), got {Describe(value)}");
        return null;
    }

    /// <summary>Reports every key of this table that was never asked for, with a suggestion when one is close.</summary>
    public void ReportUnknownKeys()
    {
        foreach (var key in _table.Keys)
        {
            if (_known.Contains(key))
            {
                continue;
            }

            var suggestion = _known.Select(k => (Key: k, Distance: EditDistance(k, key)))
                .Where(c => c.Distance <= 2)
                .OrderBy(c => c.Distance)
                .Select(c => c.Key)
                .FirstOrDefault();
            Error(key, suggestion is null ? "unknown key" : $"unknown key (did you mean {Dotted(suggestion)}?)");
        }
    }

    private bool TryGet(string key, out object? value, bool isSection = false)
    {
        _known.Add(key);
        if (!isSection)
        {
            _keysRead?.Add(Dotted(key));
        }

        return _table.TryGetValue(key, out value);
    }

    private void Error(string key, string message) =>
        _errors.Add(new ConfigError(_sourceName, LineOf(key), Dotted(key), message));

    private int? LineOf(string key)
    {
        if (_metadata.TryGetProperties(_table, out var properties)
            && properties is not null
            && properties.TryGetProperty(key, out var property)
            && property is not null)
        {
            return property.Span.Start.Line + 1;
        }

        return null;
    }

    private string Dotted(string key) => _prefix.Length == 0 ? key : _prefix + "." + key;

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string text => "\"" + text + "\"",
        bool flag => flag ? "true" : "false",
        long number => number.ToString(CultureInfo.InvariantCulture),
        // A float where an integer is expected: shown as a float (24100.0 read "got 24100", a valid-looking value).
        double number => (number.ToString("R", CultureInfo.InvariantCulture) is var text && double.IsFinite(number) && !text.Contains('.') && !text.Contains('E')
            ? text + ".0" : text) + " (a float)",
        TomlArray => "an array",
        TomlTable => "a table",
        _ => "a " + value.GetType().Name,
    };

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
