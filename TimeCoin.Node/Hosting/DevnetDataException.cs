namespace TimeCoin.Node.Hosting;

/// <summary>
/// A devnet data directory holds a devnet that cannot be continued with the options given (no key kept, another node
/// count or block time, a key outside the genesis federation); the message names the file and what to do. Nothing was
/// written or started.
/// </summary>
public sealed class DevnetDataException : IOException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public DevnetDataException(string message) : base(message)
    {
    }
}
