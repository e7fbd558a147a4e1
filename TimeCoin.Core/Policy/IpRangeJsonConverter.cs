using System.Text.Json;
using System.Text.Json.Serialization;

namespace TimeCoin.Core.Policy;

/// <summary>Writes an <see cref="IpRange"/> as its canonical text and reads it back strictly.</summary>
internal sealed class IpRangeJsonConverter : JsonConverter<IpRange>
{
    public override IpRange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return IpRange.TryParse(text, out var range, out var error) ? range : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, IpRange value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
