namespace TimeCoin.Node.Hosting;

/// <summary>Which setting of a node a <see cref="NodeStartException"/> is about.</summary>
public enum NodeStartSetting
{
    /// <summary>The JSON-RPC endpoint (<c>[rpc] bind</c> and <c>port</c>; devnet's <c>--rpc-port</c>).</summary>
    RpcEndPoint,

    /// <summary>The JSON-RPC cookie file (<c>[rpc] cookie_file</c>).</summary>
    RpcCookieFile,

    /// <summary>The Prometheus endpoint (<c>[metrics] listen</c>).</summary>
    MetricsListen,
}

/// <summary>
/// A listener of <see cref="TimeNode.StartAsync"/> could not start (port in use, cookie file not writable);
/// <see cref="Setting"/> says which, so the caller can name the setting. The message is the underlying one.
/// </summary>
public sealed class NodeStartException : IOException
{
    /// <summary>Creates the exception for <paramref name="setting"/>.</summary>
    public NodeStartException(NodeStartSetting setting, string message, Exception innerException) : base(message, innerException)
    {
        Setting = setting;
    }

    /// <summary>The setting the failure is about.</summary>
    public NodeStartSetting Setting { get; }
}
