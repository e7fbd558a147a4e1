using System.Net;
using TimeCoin.Node.Config;

namespace TimeCoin.Node.Rpc;

/// <summary>Where and how the JSON-RPC server listens.</summary>
public sealed record RpcServerOptions
{
    /// <summary>The address bound. Default loopback.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free one (see <see cref="JsonRpcServer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>The cookie file written at start and deleted at stop.</summary>
    public required string CookieFilePath { get; init; }

    /// <summary>Largest request body accepted; larger ones get HTTP 413.</summary>
    public int MaxRequestBytes { get; init; } = 1024 * 1024;

    /// <summary>IPs or CIDR ranges allowed to connect besides loopback (which is always allowed).</summary>
    public IReadOnlyList<string> AllowIps { get; init; } = [];

    /// <summary>The options described by the <c>[rpc]</c> section of <paramref name="config"/>.</summary>
    /// <param name="config">The node configuration.</param>
    /// <param name="homeDirectory">The user's home directory, for <c>~</c> and relative paths.</param>
    public static RpcServerOptions FromConfig(NodeConfig config, string homeDirectory) => new()
    {
        BindAddress = IPAddress.Parse(config.Rpc.Bind),
        Port = config.Rpc.Port,
        CookieFilePath = config.ResolveInDataDir(config.Rpc.CookieFile, homeDirectory),
        MaxRequestBytes = config.Rpc.MaxRequestBytes,
        AllowIps = config.Rpc.AllowIps,
    };
}
