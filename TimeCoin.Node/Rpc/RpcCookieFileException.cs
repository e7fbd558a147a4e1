namespace TimeCoin.Node.Rpc;

/// <summary>The cookie file of <see cref="JsonRpcServer.StartAsync"/> cannot be written (a directory, no permission);
/// the message names the file.</summary>
public sealed class RpcCookieFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public RpcCookieFileException(string path, Exception innerException)
        : base($"the cookie file '{path}' cannot be written: {innerException.Message}", innerException)
    {
        Path = path;
    }

    /// <summary>The cookie file.</summary>
    public string Path { get; }
}
