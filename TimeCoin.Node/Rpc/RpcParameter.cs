namespace TimeCoin.Node.Rpc;

/// <summary>One declared parameter of an RPC method: its name (for named calls), position (its index) and type.</summary>
/// <param name="Name">The name used in named calls and in error messages, e.g. <c>range</c>.</param>
/// <param name="Kind">The JSON type required.</param>
/// <param name="Required">Whether a call without it is rejected with <see cref="RpcErrorCodes.InvalidParams"/>.</param>
/// <param name="Description">One line for <c>help</c>.</param>
public sealed record RpcParameter(string Name, RpcParameterKind Kind, bool Required, string Description);
