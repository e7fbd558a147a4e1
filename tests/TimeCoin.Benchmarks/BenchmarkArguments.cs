namespace TimeCoin.Benchmarks;

/// <summary>Parses <c>--name value</c> pairs; unknown names or bad numbers are reported, not ignored.</summary>
public sealed class BenchmarkArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private BenchmarkArguments()
    {
    }

    /// <summary>Parses <paramref name="args"/>, accepting only <paramref name="known"/> option names.</summary>
    public static BenchmarkArguments Parse(string[] args, IReadOnlySet<string> known)
    {
        var parsed = new BenchmarkArguments();
        for (int i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!known.Contains(name))
                throw new ArgumentException($"unknown option '{name}'; known: {string.Join(", ", known)}");
            if (i + 1 >= args.Length)
                throw new ArgumentException($"option '{name}' needs a value");
            parsed._values[name] = args[++i];
        }
        return parsed;
    }

    /// <summary>A positive integer option, or <paramref name="fallback"/> when absent.</summary>
    public int GetPositiveInt(string name, int fallback)
    {
        if (!_values.TryGetValue(name, out var text))
            return fallback;
        return int.TryParse(text, out var value) && value > 0 ? value : throw new ArgumentException($"option '{name}' must be a positive integer, got '{text}'");
    }

    /// <summary>A string option, or null when absent.</summary>
    public string? GetString(string name) => _values.GetValueOrDefault(name);
}
