namespace TimeCoin.Node.Config;

/// <summary>The TIME Coin network a node joins; each has its own ports, data directory and genesis.</summary>
public enum NetworkName
{
    /// <summary>The production network.</summary>
    Mainnet,

    /// <summary>The public test network (the one live today).</summary>
    Testnet,

    /// <summary>A local development network; blocks can be generated on demand.</summary>
    Devnet,
}
