namespace TimeCoin.Cli;

/// <summary>The node answered, but with an error: a JSON-RPC error object or an HTTP refusal (401, 403, 413).</summary>
public sealed class RpcCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The JSON-RPC error code, or the negated HTTP status for an HTTP refusal.</param>
    /// <param name="message">The node's message, or an explanation of the HTTP refusal.</param>
    public RpcCallException(int code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>The JSON-RPC error code, or the negated HTTP status for an HTTP refusal.</summary>
    public int Code { get; }
}
