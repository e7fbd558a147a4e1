namespace TimeCoin.Node.Rpc;

/// <summary>JSON-RPC 2.0 error codes used by the server, plus the application codes handlers may use.</summary>
public static class RpcErrorCodes
{
    /// <summary>The body is not valid JSON.</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON is not a valid request object (missing <c>method</c>, wrong <c>jsonrpc</c>, empty batch...).</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No method is registered under that name.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>The parameters do not fit the method (missing, unknown, wrong type); the message names the parameter.</summary>
    public const int InvalidParams = -32602;

    /// <summary>The handler failed unexpectedly; details go to the node log, never to the client.</summary>
    public const int InternalError = -32603;

    /// <summary>Application error: the request was understood but cannot be carried out now (as Bitcoin Core's -1).</summary>
    public const int MiscError = -1;
}
