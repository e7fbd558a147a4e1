namespace TimeCoin.Node.Storage;

/// <summary>Thrown when a second node tries to open a data directory that a running node holds.</summary>
public sealed class DataDirectoryInUseException : IOException
{
    /// <summary>Creates the exception with the operator-facing message.</summary>
    public DataDirectoryInUseException(string message, Exception inner) : base(message, inner) { }
}
