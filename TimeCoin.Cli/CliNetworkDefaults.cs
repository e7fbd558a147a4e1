namespace TimeCoin.Cli;

/// <summary>
/// What <c>time-cli</c> assumes about a network when not told: the node's RPC port and data directory. These match
/// the node's own defaults (TimeCoin.Node.Config.NetworkDefaults); a test keeps them equal.
/// </summary>
public static class CliNetworkDefaults
{
    /// <summary>The network names accepted by <c>--network</c>.</summary>
    public static IReadOnlyList<string> Networks { get; } = ["mainnet", "testnet", "devnet"];

    /// <summary>The default RPC port of a network: mainnet 24001, testnet 24101, devnet 24201.</summary>
    /// <param name="network">One of <see cref="Networks"/>.</param>
    public static int RpcPort(string network) => network switch
    {
        "mainnet" => 24001,
        "testnet" => 24101,
        "devnet" => 24201,
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "unknown network"),
    };

    /// <summary>The default data directory of a network, <c>~/.timecoin/&lt;network&gt;</c>, with <c>~</c> expanded.</summary>
    /// <param name="network">One of <see cref="Networks"/>.</param>
    /// <param name="homeDirectory">The user's home directory.</param>
    public static string DataDir(string network, string homeDirectory) => Path.Combine(homeDirectory, ".timecoin", network);
}
