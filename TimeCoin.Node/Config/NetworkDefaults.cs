namespace TimeCoin.Node.Config;

/// <summary>
/// Per-network defaults: peer-to-peer and RPC ports, discovery URL and data directory name. A config file that
/// leaves these keys out gets the values for its <c>network</c>.
/// </summary>
public static class NetworkDefaults
{
    /// <summary>The peer-to-peer port of <paramref name="network"/>: mainnet 24000, testnet 24100, devnet 24200.</summary>
    public static int P2pPort(NetworkName network) => network switch
    {
        NetworkName.Mainnet => 24000,
        NetworkName.Testnet => 24100,
        NetworkName.Devnet => 24200,
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "unknown network"),
    };

    /// <summary>The JSON-RPC port of <paramref name="network"/>: the peer-to-peer port plus one.</summary>
    public static int RpcPort(NetworkName network) => P2pPort(network) + 1;

    /// <summary>The peer discovery URL of <paramref name="network"/>, or an empty string when it has none.</summary>
    public static string DiscoveryUrl(NetworkName network) => network switch
    {
        NetworkName.Testnet => "https://time-coin.io/api/testnet/peers",
        _ => "",
    };

    /// <summary>The default data directory of <paramref name="network"/>: <c>~/.timecoin/&lt;network&gt;</c>.</summary>
    public static string DataDir(NetworkName network) => "~/.timecoin/" + ConfigName(network);

    /// <summary>The spelling of <paramref name="network"/> in a config file: <c>mainnet</c>, <c>testnet</c> or <c>devnet</c>.</summary>
    public static string ConfigName(NetworkName network) => network.ToString().ToLowerInvariant();

    /// <summary>Parses a config spelling (<c>mainnet</c>, <c>testnet</c>, <c>devnet</c>); case-sensitive.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="network">The network, when the text names one.</param>
    /// <returns>Whether <paramref name="text"/> names a network.</returns>
    public static bool TryParse(string text, out NetworkName network)
    {
        foreach (var candidate in Enum.GetValues<NetworkName>())
        {
            if (ConfigName(candidate) == text)
            {
                network = candidate;
                return true;
            }
        }

        network = default;
        return false;
    }
}
