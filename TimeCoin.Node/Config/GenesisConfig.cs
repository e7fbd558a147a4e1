namespace TimeCoin.Node.Config;

/// <summary>The <c>[genesis]</c> section: where the genesis block comes from.</summary>
public sealed record GenesisConfig
{
    /// <summary><c>file</c>: a genesis file to use instead of the built-in genesis of the network; empty means built-in.</summary>
    public string File { get; init; } = "";
}
