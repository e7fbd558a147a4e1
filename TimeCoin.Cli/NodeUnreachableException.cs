namespace TimeCoin.Cli;

/// <summary>No node answered at the RPC URL (connection refused, unknown host, timeout), or no credentials were found.</summary>
public sealed class NodeUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, for the operator.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public NodeUnreachableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
