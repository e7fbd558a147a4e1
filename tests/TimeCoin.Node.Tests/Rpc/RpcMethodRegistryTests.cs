using System.Text.Json.Nodes;
using TimeCoin.Node.Rpc;

namespace TimeCoin.Node.Tests.Rpc;

public sealed class RpcMethodRegistryTests
{
    private static ValueTask<JsonNode?> Nothing(RpcArguments args, CancellationToken ct) => ValueTask.FromResult<JsonNode?>(null);

    [Fact]
    public void Register_SameNameTwice_Throws()
    {
        var registry = new RpcMethodRegistry();
        registry.Register("stop", "Stops.", [], Nothing);

        var exception = Assert.Throws<ArgumentException>(() => registry.Register("stop", "Stops again.", [], Nothing));

        Assert.Contains("'stop'", exception.Message);
    }

    [Fact]
    public void Register_RequiredAfterOptional_Throws()
    {
        var registry = new RpcMethodRegistry();

        Assert.Throws<ArgumentException>(() => registry.Register("m", "d",
            [new RpcParameter("a", RpcParameterKind.String, false, "a"), new RpcParameter("b", RpcParameterKind.String, true, "b")], Nothing));
    }

    [Fact]
    public void Methods_AreSortedByName()
    {
        var registry = new RpcMethodRegistry();
        registry.Register("b", "B.", [], Nothing);
        registry.Register("a", "A.", [], Nothing);

        Assert.Equal(["a", "b"], registry.Methods.Select(m => m.Name));
    }
}
