using System.CommandLine;
using Microsoft.Extensions.Logging;
using TimeCoin.Node.Config;
using TimeCoin.Node.Hosting;

namespace TimeCoin.Node;

/// <summary>The <c>time-node</c> command tree.</summary>
public static class NodeCommandLine
{
    /// <summary>Builds the root command with its subcommands.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("time-node: a TIME Coin masternode node (peer policy, liveness, heartbeats, sync).");
        root.Subcommands.Add(BuildStart());
        root.Subcommands.Add(BuildInit());
        root.Subcommands.Add(DevnetCommand.Build());
        return root;
    }

    /// <summary>Refuses an empty or blank directory option at parse time (exit 1, the option named on stderr): an
    /// empty --datadir used to crash init and make start fall back to the default directory.</summary>
    internal static void RefuseEmptyDirectory(Option<string?> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<string?>() is { } value && string.IsNullOrWhiteSpace(value))
            result.AddError($"{option.Name}: expected a directory, got {(value.Length == 0 ? "an empty string" : $"\"{value}\"")}.");
    });

    private static Command BuildStart()
    {
        var config = new Option<string?>("--config")
        {
            Description = $"TOML config file (see deploy/config.toml). Without it, <datadir>/{NodeInitializer.ConfigFileName} is read when " +
                "--datadir is given and that file exists (as `time-node init` writes it); otherwise every key takes its default.",
        };
        var dataDir = new Option<string?>("--datadir")
        {
            Description = "Data directory; overrides data_dir of the config. Default ~/.timecoin/<network>. An empty value is refused.",
        };
        RefuseEmptyDirectory(dataDir);
        var logLevel = new Option<string>("--log-level")
        {
            Description = "Least severe log entry written: trace, debug, information, warning, error or critical.",
            DefaultValueFactory = _ => "information",
        };
        logLevel.Validators.Add(result =>
        {
            if (!Logging.TryParseLevel(result.GetValueOrDefault<string>() ?? "", out _))
                result.AddError($"--log-level: expected trace, debug, information, warning, error or critical, got '{result.GetValueOrDefault<string>()}'.");
        });
        var logFile = new Option<string?>("--log-file")
        {
            Description = "Also write the log to this file (UTC timestamps; rolled over at 100 MiB, 10 files kept). Its directory is " +
                "created; a file that cannot be opened for writing stops the start (exit 1, the path named). " +
                "Under systemd the console log goes to the journal in its own format.",
        };
        var start = new Command("start", "Run a node in the foreground on the .NET Generic Host (P2P, sync, block production for federation keys, " +
            "heartbeats for masternodes, JSON-RPC) until Ctrl+C, SIGTERM or time-cli stop. Under systemd (Type=notify) it reports readiness " +
            "once listening; see deploy/time-node.service.");
        foreach (var option in new Option[] { config, dataDir, logLevel, logFile })
            start.Options.Add(option);
        start.SetAction(parseResult =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var overriddenDataDir = parseResult.GetValue(dataDir) is { Length: > 0 } d ? d : null;
            var configPath = parseResult.GetValue(config);
            if (configPath is null && overriddenDataDir is not null
                && Path.Combine(overriddenDataDir, NodeInitializer.ConfigFileName) is var initConfig && File.Exists(initConfig))
                configPath = initConfig;
            NodeConfig nodeConfig;
            try
            {
                nodeConfig = configPath is not null ? NodeConfigLoader.Load(configPath) : new NodeConfig();
            }
            catch (NodeConfigException e)
            {
                error.WriteLine(e.Message);
                return 1;
            }

            if (overriddenDataDir is not null)
            {
                nodeConfig = nodeConfig with { DataDir = overriddenDataDir };
            }

            Logging.TryParseLevel(parseResult.GetValue(logLevel)!, out var level);
            return NodeRunner.RunAsync(nodeConfig, level, parseResult.GetValue(logFile), parseResult.InvocationConfiguration.Output, error)
                .GetAwaiter().GetResult();
        });
        return start;
    }

    private static Command BuildInit()
    {
        var network = new Option<string>("--network")
        {
            Description = "Network the config is for: mainnet, testnet or devnet.",
            DefaultValueFactory = _ => "testnet",
        };
        network.AcceptOnlyFromAmong("mainnet", "testnet", "devnet");
        var dataDir = new Option<string?>("--datadir") { Description = "Where to write the files. Default ~/.timecoin/<network>. An empty value is refused." };
        RefuseEmptyDirectory(dataDir);
        var masternode = new Option<bool>("--masternode") { Description = "Write [masternode] enabled = true." };
        var noKey = new Option<bool>("--no-key") { Description = "Write only the config, not the node key." };
        var init = new Command("init",
            $"Write a commented default config (<datadir>/{NodeInitializer.ConfigFileName}, every key with its default) and a new node key " +
            "(<datadir>/masternode.key, 64 hex characters, mode 600). Never overwrites a file: if one exists, nothing is written and the " +
            "error names it. Then: time-node start --datadir <datadir>.");
        foreach (var option in new Option[] { network, dataDir, masternode, noKey })
            init.Options.Add(option);
        init.SetAction(parseResult =>
        {
            NetworkDefaults.TryParse(parseResult.GetValue(network)!, out var name);
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            try
            {
                var written = NodeInitializer.Initialize(name, parseResult.GetValue(dataDir), home, parseResult.GetValue(masternode), !parseResult.GetValue(noKey));
                foreach (var file in written)
                    parseResult.InvocationConfiguration.Output.WriteLine($"wrote {file}");
                parseResult.InvocationConfiguration.Output.WriteLine($"start the node with: time-node start --datadir {Path.GetDirectoryName(written[0])}");
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"time-node init: {e.Message}");
                return 1;
            }
        });
        return init;
    }
}
