using System.Text.Json;
using System.Text.Json.Serialization;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Node.Services;

/// <summary>Writes a <see cref="PublicKey"/> as its lowercase hex string and reads it back.</summary>
internal sealed class PublicKeyHexJsonConverter : JsonConverter<PublicKey>
{
    public override PublicKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        try
        {
            return PublicKey.Parse(text ?? throw new JsonException("A public key is null."));
        }
        catch (FormatException e)
        {
            throw new JsonException($"'{text}' is not a public key: {e.Message}", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, PublicKey value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
