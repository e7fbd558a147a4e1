using System.Text.Json.Nodes;

namespace TimeCoin.Node.Rpc;

/// <summary>An RPC method: name, one-line description, declared parameters and the handler producing the JSON result.</summary>
/// <param name="Name">The method name clients call, e.g. <c>get_peer_info</c>.</param>
/// <param name="Description">One line shown by <c>help</c>.</param>
/// <param name="Parameters">The parameters in positional order.</param>
/// <param name="Handler">Produces the result from checked arguments; throws <see cref="RpcException"/> for an error answer.</param>
public sealed record RpcMethod(
    string Name,
    string Description,
    IReadOnlyList<RpcParameter> Parameters,
    Func<RpcArguments, CancellationToken, ValueTask<JsonNode?>> Handler);
