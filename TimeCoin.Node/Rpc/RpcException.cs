namespace TimeCoin.Node.Rpc;

/// <summary>
/// Thrown by an RPC handler to answer with a JSON-RPC error; the code and message reach the client unchanged.
/// Any other exception from a handler becomes <see cref="RpcErrorCodes.InternalError"/> with no details.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an error answer.</summary>
    /// <param name="code">The JSON-RPC error code (see <see cref="RpcErrorCodes"/>).</param>
    /// <param name="message">A message for the operator.</param>
    public RpcException(int code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; }
}
