using System.Globalization;
using System.Text.RegularExpressions;

namespace TimeCoin.Node.Tests.Metrics;

/// <summary>A parsed Prometheus text exposition: every sample with its labels, and every family's declared type.</summary>
public sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public List<Sample> Samples { get; } = [];

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();

    /// <summary>Parses <paramref name="text"/>; a line that is not a comment, a TYPE/HELP line or a sample fails the test.</summary>
    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
                continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                result.Types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#'))
                continue;
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
            var valueText = match.Groups["value"].Value;
            double value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            result.Samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }
        return result;
    }

    /// <summary>The family a sample belongs to (histogram samples without their _bucket/_sum/_count suffix).</summary>
    public bool HasFamily(string name) =>
        Types.ContainsKey(name) || Samples.Any(s => s.Name == name);

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(matches.Count == 1, $"expected one sample {name}{{{string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}}}, found {matches.Count}");
        return matches[0].Value;
    }
}
