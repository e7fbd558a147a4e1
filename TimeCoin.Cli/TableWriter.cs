using System.Text.Json;
using System.Text.Json.Nodes;

namespace TimeCoin.Cli;

/// <summary>
/// Writes an RPC result as a plain aligned text table (<c>--format table</c>): a list of objects becomes one row per
/// object with a column per field (in order of first appearance); an object becomes a FIELD/VALUE table. Nested
/// arrays of scalars are joined with commas, other nested values are written as compact JSON, null as "-". A string
/// result (e.g. <c>help</c>) is printed as plain text with its lines, as with JSON output; only table cells are kept
/// on one line.
/// </summary>
internal static class TableWriter
{
    private const string Gap = "  ";

    /// <summary>Writes <paramref name="result"/> as a table; a string as it is, other scalars as JSON text.</summary>
    public static void Write(JsonNode? result, TextWriter output)
    {
        switch (result)
        {
            case null:
                return;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                output.WriteLine(value.GetValue<string>());
                return;
            case JsonArray array when array.All(item => item is JsonObject):
                WriteRows(array.Select(item => (JsonObject)item!).ToList(), output);
                return;
            case JsonArray array:
                foreach (var item in array)
                    output.WriteLine(Cell(item));
                return;
            case JsonObject obj:
                var rows = obj.Select(field => new[] { field.Key, Cell(field.Value) }).ToList();
                WriteAligned(["FIELD", "VALUE"], rows, output);
                return;
            default:
                output.WriteLine(Cell(result));
                return;
        }
    }

    private static void WriteRows(List<JsonObject> items, TextWriter output)
    {
        if (items.Count == 0)
        {
            output.WriteLine("(none)");
            return;
        }
        var columns = new List<string>();
        foreach (var item in items)
            foreach (var (key, _) in item)
                if (!columns.Contains(key))
                    columns.Add(key);
        var rows = items.Select(item => columns.Select(c => item.TryGetPropertyValue(c, out var value) ? Cell(value) : "").ToArray()).ToList();
        WriteAligned(columns.Select(c => c.ToUpperInvariant()).ToArray(), rows, output);
    }

    private static void WriteAligned(string[] header, List<string[]> rows, TextWriter output)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Line(string[] cells) =>
            output.WriteLine(string.Join(Gap, cells.Select((cell, i) => i == cells.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        Line(header);
        foreach (var row in rows)
            Line(row);
    }

    private static string Cell(JsonNode? value) => value switch
    {
        null => "-",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Flatten(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        JsonArray a when a.All(item => item is JsonValue) => string.Join(",", a.Select(Cell)),
        _ => value.ToJsonString(),
    };

    /// <summary>A cell stays on one line.</summary>
    private static string Flatten(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
