using System.Text;
using System.Text.Json.Nodes;

namespace TimeCoin.Node.Rpc;

/// <summary>The methods every node answers whatever the composition adds: <c>help</c> and <c>uptime</c>.</summary>
public static class BuiltInRpcMethods
{
    /// <summary>Registers <c>help</c> (lists the registry's methods, or describes one) and <c>uptime</c>.</summary>
    /// <param name="registry">The registry to add to.</param>
    /// <param name="timeProvider">The clock uptime is measured on.</param>
    public static void Register(RpcMethodRegistry registry, TimeProvider timeProvider)
    {
        var startedAt = timeProvider.GetUtcNow();
        registry.Register(
            "help",
            "List every method with a one-line description, or describe one method and its parameters.",
            [new RpcParameter("method", RpcParameterKind.String, false, "the method to describe")],
            (args, _) => ValueTask.FromResult<JsonNode?>(Help(registry, args.GetString("method"))));
        registry.Register(
            "uptime",
            "Seconds since the node started.",
            [],
            (_, _) => ValueTask.FromResult<JsonNode?>((long)(timeProvider.GetUtcNow() - startedAt).TotalSeconds));
    }

    private static string Help(RpcMethodRegistry registry, string? methodName)
    {
        if (methodName is null)
        {
            var methods = registry.Methods;
            var width = methods.Max(m => Signature(m).Length);
            return string.Join("\n", methods.Select(m => Signature(m).PadRight(width) + "  " + m.Description));
        }

        if (!registry.TryGet(methodName, out var method))
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: parameter 'method': no method named '{methodName}'");
        }

        var text = new StringBuilder().Append(Signature(method)).Append('\n').Append(method.Description);
        foreach (var parameter in method.Parameters)
        {
            text.Append($"\n  {parameter.Name} ({parameter.Kind.ToString().ToLowerInvariant()}, {(parameter.Required ? "required" : "optional")}): {parameter.Description}");
        }

        return text.ToString();
    }

    private static string Signature(RpcMethod method) =>
        string.Join(" ", new[] { method.Name }.Concat(method.Parameters.Select(p => p.Required ? p.Name : "[" + p.Name + "]")));
}
