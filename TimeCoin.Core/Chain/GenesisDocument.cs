using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Chain;

/// <summary>
/// The genesis file: a JSON text that defines a (private) network, so it can run with its own federation.
/// Core reads no files: the node reads the file and passes its text to <see cref="Parse"/>.
/// <code>
/// {
///   "network": "mynet",                 // required, 1-32 of a-z 0-9 - _ .
///   "networkMagic": "0x4d594e54",       // required, number or "0x" hex string (uint32)
///   "genesisTime": 1767225600,          // required, unix seconds
///   "blockTimeSeconds": 10,             // required, 1-86400
///   "federation": [ "64 hex chars", ... ], // required, 1-1024 distinct Ed25519 public keys
///   "maxBlockBytes": 1048576,           // optional consensus limits (defaults shown in BlockLimits)
///   "maxTransactions": 50000,
///   "maxTransactionBytes": 262144,
///   "futureToleranceSeconds": 15,       // optional local policy
///   "maxReorgDepth": 100,
///   "genesisHash": "64 hex chars"       // optional: when present it must equal the computed genesis hash
/// }
/// </code>
/// Comments and trailing commas are accepted; unknown fields are errors (they are usually typos).
/// </summary>
public static class GenesisDocument
{
    private static readonly string[] KnownFields =
    [
        "network", "networkMagic", "genesisTime", "blockTimeSeconds", "federation", "maxBlockBytes",
        "maxTransactions", "maxTransactionBytes", "futureToleranceSeconds", "maxReorgDepth", "genesisHash",
    ];

    /// <summary>Parses a genesis document.</summary>
    /// <exception cref="FormatException">The text is not a valid genesis document; the message names the field.</exception>
    public static ChainParameters Parse(string json) =>
        TryParse(json, out var parameters, out var error) ? parameters : throw new FormatException(error);

    /// <summary>Parses a genesis document; on failure <paramref name="error"/> names the field that is wrong.</summary>
    public static bool TryParse(string? json, [NotNullWhen(true)] out ChainParameters? parameters, [NotNullWhen(false)] out string? error)
    {
        parameters = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            error = "The genesis document is empty.";
            return false;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
                MaxDepth = 8,
            });
        }
        catch (JsonException ex)
        {
            error = $"The genesis document is not valid JSON: {ex.Message}";
            return false;
        }
        using (document)
        {
            try
            {
                parameters = Read(document.RootElement);
                error = null;
                return true;
            }
            catch (GenesisFieldError ex)
            {
                error = ex.Message;
                return false;
            }
        }
    }

    /// <summary>Writes <paramref name="parameters"/> as a genesis document (including its genesis hash).</summary>
    public static string ToJson(ChainParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("network", parameters.NetworkName);
            writer.WriteString("networkMagic", $"0x{parameters.NetworkMagic:x8}");
            writer.WriteNumber("genesisTime", parameters.GenesisTime);
            writer.WriteNumber("blockTimeSeconds", parameters.BlockTimeSeconds);
            writer.WriteStartArray("federation");
            foreach (var key in parameters.Federation)
                writer.WriteStringValue(key.ToString());
            writer.WriteEndArray();
            writer.WriteNumber("maxBlockBytes", parameters.Limits.MaxBlockBytes);
            writer.WriteNumber("maxTransactions", parameters.Limits.MaxTransactions);
            writer.WriteNumber("maxTransactionBytes", parameters.Limits.MaxTransactionBytes);
            writer.WriteNumber("futureToleranceSeconds", parameters.FutureToleranceSeconds);
            writer.WriteNumber("maxReorgDepth", parameters.MaxReorgDepth);
            writer.WriteString("genesisHash", parameters.GenesisHash.ToString());
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static ChainParameters Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new GenesisFieldError($"The genesis document must be a JSON object, got {root.ValueKind}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (Array.IndexOf(KnownFields, property.Name) < 0)
                throw new GenesisFieldError($"Unknown field '{property.Name}'; known fields are {string.Join(", ", KnownFields)}.");
            if (!seen.Add(property.Name))
                throw new GenesisFieldError($"Field '{property.Name}' appears twice.");
        }

        string network = RequiredString(root, "network");
        if (!ChainParameters.IsValidNetworkName(network))
            throw new GenesisFieldError($"Field 'network': '{network}' must be 1 to {ChainParameters.MaxNetworkNameLength} characters of a-z, 0-9, '-', '_' or '.'.");
        uint magic = ReadMagic(Required(root, "networkMagic"));
        long genesisTime = ReadInteger(Required(root, "genesisTime"), "genesisTime", 0, long.MaxValue);
        int blockTime = (int)ReadInteger(Required(root, "blockTimeSeconds"), "blockTimeSeconds", 1, ChainParameters.MaxBlockTimeSeconds);
        var federation = ReadFederation(Required(root, "federation"));

        int maxBlockBytes = OptionalInt(root, "maxBlockBytes", BlockLimits.DefaultMaxBlockBytes, BlockCodec.EmptyBlockSize, BlockLimits.HardMaxBlockBytes);
        int maxTransactions = OptionalInt(root, "maxTransactions", BlockLimits.DefaultMaxTransactions, 1, int.MaxValue);
        int maxTransactionBytes = OptionalInt(root, "maxTransactionBytes", Math.Min(BlockLimits.DefaultMaxTransactionBytes, maxBlockBytes), 1, maxBlockBytes);
        int futureTolerance = OptionalInt(root, "futureToleranceSeconds", ChainParameters.DefaultFutureToleranceSeconds, 0, 3600);
        int maxReorgDepth = OptionalInt(root, "maxReorgDepth", ChainParameters.DefaultMaxReorgDepth, 1, int.MaxValue);

        ChainParameters parameters;
        try
        {
            parameters = new ChainParameters(network, magic, genesisTime, blockTime, federation,
                new BlockLimits(maxBlockBytes, maxTransactions, maxTransactionBytes), futureTolerance, maxReorgDepth);
        }
        catch (ArgumentException ex)
        {
            throw new GenesisFieldError($"The genesis document is inconsistent: {ex.Message}");
        }

        if (root.TryGetProperty("genesisHash", out var hashElement))
        {
            if (hashElement.ValueKind != JsonValueKind.String || !Hash256.TryParse(hashElement.GetString(), out var expected))
                throw new GenesisFieldError("Field 'genesisHash' must be a string of 64 hexadecimal characters.");
            if (expected != parameters.GenesisHash)
                throw new GenesisFieldError($"Field 'genesisHash' is {expected} but the document defines genesis {parameters.GenesisHash}; some other field differs from the network's.");
        }
        return parameters;
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) ? element : throw new GenesisFieldError($"Missing required field '{name}'.");

    private static string RequiredString(JsonElement root, string name)
    {
        var element = Required(root, name);
        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new GenesisFieldError($"Field '{name}' must be a string, got {element.ValueKind}.");
    }

    private static long ReadInteger(JsonElement element, string name, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long value))
            throw new GenesisFieldError($"Field '{name}' must be a whole number, got {Describe(element)}.");
        if (value < min || value > max)
            throw new GenesisFieldError($"Field '{name}' is {value}; it must be between {min} and {max}.");
        return value;
    }

    private static int OptionalInt(JsonElement root, string name, int fallback, int min, int max) =>
        root.TryGetProperty(name, out var element) ? (int)ReadInteger(element, name, min, max) : fallback;

    private static uint ReadMagic(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out uint number))
            return number;
        if (element.ValueKind == JsonValueKind.String)
        {
            string text = element.GetString()!;
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length is > 2 and <= 10
                && uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex))
                return hex;
        }
        throw new GenesisFieldError($"Field 'networkMagic' must be a 32-bit unsigned number or a \"0x\" hex string of up to 8 digits, got {Describe(element)}.");
    }

    private static List<PublicKey> ReadFederation(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw new GenesisFieldError($"Field 'federation' must be an array of hex public keys, got {element.ValueKind}.");
        var keys = new List<PublicKey>();
        var firstIndex = new Dictionary<PublicKey, int>();
        int index = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !PublicKey.TryParse(item.GetString(), out var key))
                throw new GenesisFieldError($"Field 'federation[{index}]' must be a 64-character hexadecimal Ed25519 public key, got {Describe(item)}.");
            if (firstIndex.TryGetValue(key, out int previous))
                throw new GenesisFieldError($"Field 'federation[{index}]' repeats federation[{previous}] ({key}).");
            if (!IsCurvePoint(key))
                throw new GenesisFieldError($"Field 'federation[{index}]' ({key}) is not a valid Ed25519 public key.");
            firstIndex[key] = index;
            keys.Add(key);
            index++;
        }
        if (keys.Count == 0)
            throw new GenesisFieldError("Field 'federation' is empty; a network needs at least one producer key.");
        if (keys.Count > ChainParameters.MaxFederationSize)
            throw new GenesisFieldError($"Field 'federation' has {keys.Count} keys; at most {ChainParameters.MaxFederationSize} are allowed.");
        return keys;
    }

    private static bool IsCurvePoint(PublicKey key) =>
        NSec.Cryptography.PublicKey.TryImport(NSec.Cryptography.SignatureAlgorithm.Ed25519, key.Bytes,
            NSec.Cryptography.KeyBlobFormat.RawPublicKey, out _);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"\"{element.GetString()}\"",
        JsonValueKind.Number => element.GetRawText(),
        _ => element.ValueKind.ToString(),
    };

    private sealed class GenesisFieldError(string message) : Exception(message);
}
