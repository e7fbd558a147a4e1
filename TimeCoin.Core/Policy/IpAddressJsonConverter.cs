using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TimeCoin.Core.Policy;

/// <summary>Writes an <see cref="IPAddress"/> as text so policy snapshots serialize with System.Text.Json.</summary>
internal sealed class IpAddressJsonConverter : JsonConverter<IPAddress>
{
    public override IPAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (IpRange.TryParse(text, out var range, out var error) && range.IsSingleAddress)
            return range.Network;
        throw new JsonException(string.IsNullOrEmpty(error) ? $"'{text}' is a range, not a single address." : error);
    }

    public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options) =>
        writer.WriteStringValue(IpRange.Normalize(value).ToString());
}
