using System.CommandLine;

namespace TimeCoin.Cli;

/// <summary>The options every <c>time-cli</c> command accepts: where the node is and how to authenticate.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> RpcUrl { get; } = new("--rpc-url")
    {
        Description = "The node's RPC URL. Default http://127.0.0.1:<RPC port of --network> (mainnet 24001, testnet 24101, devnet 24201).",
        Recursive = true,
    };

    public Option<string> Network { get; } = CreateNetwork();

    public Option<string?> DataDir { get; } = new("--datadir")
    {
        Description = "The node's data directory, where its .cookie is read from. Default ~/.timecoin/<network>.",
        Recursive = true,
    };

    public Option<string?> RpcUser { get; } = new("--rpc-user")
    {
        Description = "User for HTTP Basic authentication instead of the cookie (with --rpc-password).",
        Recursive = true,
    };

    public Option<string?> RpcPassword { get; } = new("--rpc-password")
    {
        Description = "Password for HTTP Basic authentication instead of the cookie (with --rpc-user).",
        Recursive = true,
    };

    /// <summary>The longest <c>--timeout-secs</c>: what an HTTP client timeout can hold (int.MaxValue milliseconds, about 24.8 days).</summary>
    public const int MaxTimeoutSeconds = int.MaxValue / 1000;

    public Option<int> Timeout { get; } = CreateTimeout();

    public Option<string> Format { get; } = CreateFormat();

    private static Option<string> CreateFormat()
    {
        var option = new Option<string>("--format")
        {
            Description = "How to print results: json (default; indented JSON) or table (aligned columns: one row per item of a list, FIELD/VALUE for an object).",
            DefaultValueFactory = _ => "json",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("json", "table");
        return option;
    }

    private static Option<int> CreateTimeout()
    {
        var option = new Option<int>("--timeout-secs")
        {
            Description = $"Seconds to wait for the node's answer, 1 to {MaxTimeoutSeconds} (about 24 days). Default 120.",
            DefaultValueFactory = _ => 120,
            Recursive = true,
        };
        option.Validators.Add(result =>
        {
            var seconds = result.GetValueOrDefault<int>();
            if (seconds is < 1 or > MaxTimeoutSeconds)
            {
                result.AddError($"--timeout-secs must be from 1 to {MaxTimeoutSeconds} seconds, got {seconds}");
            }
        });
        return option;
    }

    private static Option<string> CreateNetwork()
    {
        var option = new Option<string>("--network")
        {
            Description = "The network of the node: mainnet, testnet or devnet; picks the default RPC port and data directory. Default testnet.",
            DefaultValueFactory = _ => "testnet",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong([.. CliNetworkDefaults.Networks]);
        return option;
    }
}
