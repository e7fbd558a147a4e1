namespace TimeCoin.Node.Config;

/// <summary>The <c>[rpc]</c> section: the JSON-RPC server used by <c>time-cli</c>.</summary>
public sealed record RpcConfig
{
    /// <summary><c>enabled</c>: run the JSON-RPC server. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>bind</c>: the IP address the server listens on. Default <c>127.0.0.1</c> (local only).</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary><c>port</c>: the JSON-RPC port. Default per network (mainnet 24001, testnet 24101, devnet 24201).</summary>
    public int Port { get; init; } = NetworkDefaults.RpcPort(NetworkName.Testnet);

    /// <summary><c>cookie_file</c>: where the authentication cookie is written; a relative path is inside the data directory. Default <c>.cookie</c>.</summary>
    public string CookieFile { get; init; } = ".cookie";

    /// <summary><c>allow_ips</c>: IPs or CIDR ranges allowed to connect besides loopback. Default none.</summary>
    public IReadOnlyList<string> AllowIps { get; init; } = [];

    /// <summary><c>max_request_bytes</c>: largest request body accepted; larger requests get HTTP 413. Default 1 MiB.</summary>
    public int MaxRequestBytes { get; init; } = 1024 * 1024;
}
