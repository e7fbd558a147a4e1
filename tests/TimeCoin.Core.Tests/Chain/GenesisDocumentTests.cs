using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Core.Tests.Chain;

public class GenesisDocumentTests
{
    private const string KeyA = "31edecf3599d1187d36eb28ae245f1795caac5459db08ef1ce90a1e0cca1f0c9";
    private const string KeyB = "dab60379892b38e9b1985ca9d32854b96b3ad323fda3a58bbb636104de4c65d6";

    private static string Document(string federation = $"\"{KeyA}\", \"{KeyB}\"", string extra = "",
        string magic = "\"0x4d594e54\"", string blockTime = "5") => $$"""
        {
          // a private network
          "network": "mynet",
          "networkMagic": {{magic}},
          "genesisTime": 1800000000,
          "blockTimeSeconds": {{blockTime}},
          "federation": [ {{federation}} ],
          {{extra}}
        }
        """;

    [Fact]
    public void Parse_ValidDocument_BuildsParameters()
    {
        var p = GenesisDocument.Parse(Document(extra: "\"maxReorgDepth\": 50, \"maxBlockBytes\": 200000"));

        Assert.Equal("mynet", p.NetworkName);
        Assert.Equal(0x4d594e54u, p.NetworkMagic);
        Assert.Equal(1_800_000_000, p.GenesisTime);
        Assert.Equal(5, p.BlockTimeSeconds);
        Assert.Equal(new[] { PublicKey.Parse(KeyA), PublicKey.Parse(KeyB) }.OrderBy(k => k), p.Federation);
        Assert.Equal(50, p.MaxReorgDepth);
        Assert.Equal(200_000, p.Limits.MaxBlockBytes);
        Assert.Equal(200_000, p.Limits.MaxTransactionBytes);
    }

    [Fact]
    public void Parse_NumericMagic_Accepted()
    {
        Assert.Equal(1234u, GenesisDocument.Parse(Document(magic: "1234")).NetworkMagic);
    }

    [Fact]
    public void ToJson_ThenParse_SameGenesisHash()
    {
        var keys = Enumerable.Range(0, 4).Select(_ =>
        {
            using var key = KeyPair.Generate();
            return key.PublicKey;
        });
        var original = ChainParameters.CreateDevnet(keys, 1_800_000_000, 2).WithMaxReorgDepth(12);

        var parsed = GenesisDocument.Parse(GenesisDocument.ToJson(original));

        Assert.Equal(original.GenesisHash, parsed.GenesisHash);
        Assert.Equal(12, parsed.MaxReorgDepth);
        Assert.Equal(original.Federation, parsed.Federation);
    }

    [Theory]
    [InlineData("network")]
    [InlineData("networkMagic")]
    [InlineData("genesisTime")]
    [InlineData("blockTimeSeconds")]
    [InlineData("federation")]
    public void TryParse_MissingRequiredField_ErrorNamesField(string field)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Document(), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        node.Remove(field);

        Assert.False(GenesisDocument.TryParse(node.ToJsonString(), out var parameters, out var error));
        Assert.Null(parameters);
        Assert.Contains($"'{field}'", error);
    }

    [Fact]
    public void TryParse_BadKeyInFederation_ErrorNamesIndex()
    {
        Assert.False(GenesisDocument.TryParse(Document(federation: $"\"{KeyA}\", \"zz\""), out _, out var error));
        Assert.Contains("'federation[1]'", error);
    }

    [Fact]
    public void TryParse_DuplicateKey_ErrorNamesBothIndexes()
    {
        Assert.False(GenesisDocument.TryParse(Document(federation: $"\"{KeyA}\", \"{KeyB}\", \"{KeyA}\""), out _, out var error));
        Assert.Contains("'federation[2]' repeats federation[0]", error);
    }

    [Fact]
    public void TryParse_EmptyFederation_Fails()
    {
        Assert.False(GenesisDocument.TryParse(Document(federation: ""), out _, out var error));
        Assert.Contains("'federation' is empty", error);
    }

    [Fact]
    public void TryParse_UnknownField_ErrorNamesIt()
    {
        Assert.False(GenesisDocument.TryParse(Document(extra: "\"blocktime\": 5"), out _, out var error));
        Assert.Contains("'blocktime'", error);
    }

    [Fact]
    public void TryParse_WrongType_ErrorNamesFieldAndValue()
    {
        Assert.False(GenesisDocument.TryParse(Document(blockTime: "\"five\""), out _, out var error));
        Assert.Contains("'blockTimeSeconds'", error);
        Assert.Contains("five", error);
    }

    [Fact]
    public void TryParse_OutOfRange_ErrorNamesFieldAndRange()
    {
        Assert.False(GenesisDocument.TryParse(Document(blockTime: "0"), out _, out var error));
        Assert.Contains("'blockTimeSeconds' is 0", error);
    }

    [Fact]
    public void TryParse_BadMagic_ErrorNamesField()
    {
        Assert.False(GenesisDocument.TryParse(Document(magic: "\"0x123456789\""), out _, out var error));
        Assert.Contains("'networkMagic'", error);
    }

    [Fact]
    public void TryParse_GenesisHashMismatch_Fails()
    {
        Assert.False(GenesisDocument.TryParse(Document(extra: $"\"genesisHash\": \"{new string('a', 64)}\""), out _, out var error));
        Assert.Contains("'genesisHash'", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"network\": ")]
    public void TryParse_NotAnObject_FailsWithoutThrowing(string json)
    {
        Assert.False(GenesisDocument.TryParse(json, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<FormatException>(() => GenesisDocument.Parse(json));
    }
}
