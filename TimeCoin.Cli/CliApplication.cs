using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TimeCoin.Cli;

/// <summary>
/// The <c>time-cli</c> command tree: each command calls one JSON-RPC method of a running <c>time-node</c> and prints
/// the result. Exit codes: 0 success, 1 the node answered with an error (or bad command line), 2 no node reachable.
/// </summary>
public static class CliApplication
{
    /// <summary>Exit code when the command succeeded.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code when the node answered with an error.</summary>
    public const int ExitRpcError = 1;

    /// <summary>Exit code when no node could be reached (or no credentials were found).</summary>
    public const int ExitUnreachable = 2;

    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Runs <c>time-cli</c> with <paramref name="args"/>, writing to the given writers.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where results (and help) go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The process exit code.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(output, error);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>Builds the command tree; command results go to <paramref name="output"/>, errors to <paramref name="error"/>.</summary>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(
            "time-cli: talk to a running time-node over JSON-RPC. Each command calls one RPC method and prints its JSON result " +
            "(--format table: aligned columns); " +
            "an RPC error prints 'error <code>: <message>' and exits 1; an unreachable node exits 2.");
        root.Options.Add(globals.RpcUrl);
        root.Options.Add(globals.Network);
        root.Options.Add(globals.DataDir);
        root.Options.Add(globals.RpcUser);
        root.Options.Add(globals.RpcPassword);
        root.Options.Add(globals.Timeout);
        root.Options.Add(globals.Format);

        var runner = new RpcCommandRunner(globals, output, error);

        root.Subcommands.Add(runner.Simple("get-blockchain-info", "get_blockchain_info",
            "Ask the node for its chain state (height, best block hash, sync progress) and print it."));
        root.Subcommands.Add(runner.Simple("get-network-info", "get_network_info",
            "Ask the node for its network state (connections, whitelisted peers with source, uptime and missed pongs; alerts) and print it."));
        root.Subcommands.Add(runner.Simple("get-peer-info", "get_peer_info",
            "Ask the node for every connected peer (address, direction, whitelist status, ping) and print them."));
        root.Subcommands.Add(runner.Simple("get-sync-status", "get_sync_status",
            "Ask the node how far behind the best peer it is and what the sync coordinator is doing, and print it."));
        root.Subcommands.Add(runner.Simple("get-masternodes", "get_masternodes",
            "Ask the node for the masternodes it knows (key, tier, address, last heartbeat) and print them."));
        root.Subcommands.Add(runner.Simple("get-chain-tips", "get_chain_tips",
            "Ask the node for every tip of its block tree (the active tip and side branches: height, hash, branch length, status) and print them."));
        root.Subcommands.Add(GetBlock(runner));

        var addressLimit = new Option<int?>("--limit") { Description = "How many rows, most recently connected first (1 to 100000; default all)." };
        var addresses = new Command("get-node-addresses",
            "Print the node's address book: every address it may dial, with its source, last connection, failed attempts since its last stable connection and whether it is connected now (RPC get_node_addresses).");
        addresses.Options.Add(addressLimit);
        runner.Bind(addresses, "get_node_addresses", parse => parse.GetValue(addressLimit) is { } rows ? new JsonObject { ["limit"] = rows } : []);
        root.Subcommands.Add(addresses);

        var limit = new Option<int?>("--limit") { Description = "How many rows, newest first (1 to 10000; the node's default is 100)." };
        var audit = new Command("get-audit-log", "Print the most recent whitelist and ban changes, newest first (RPC get_audit_log).");
        audit.Options.Add(limit);
        runner.Bind(audit, "get_audit_log", parse => parse.GetValue(limit) is { } rows ? new JsonObject { ["limit"] = rows } : []);
        root.Subcommands.Add(audit);

        root.Subcommands.Add(GetAlerts(runner));
        root.Subcommands.Add(Whitelist(runner));
        root.Subcommands.Add(Ban(runner));

        var count = new Argument<int>("n") { Description = "How many blocks to generate (1 to 10000)." };
        count.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 10000)
            {
                result.AddError("n must be from 1 to 10000");
            }
        });
        var generate = new Command("generate", "Devnet only: ask the node to produce <n> blocks now and print their hashes (RPC generate).");
        generate.Arguments.Add(count);
        runner.Bind(generate, "generate", parse => new JsonObject { ["count"] = parse.GetValue(count) });
        root.Subcommands.Add(generate);

        root.Subcommands.Add(runner.Simple("stop", "stop", "Ask the node to shut down cleanly (RPC stop)."));
        root.Subcommands.Add(runner.Simple("uptime", "uptime", "Print how many seconds the node has been running (RPC uptime)."));

        var method = new Argument<string?>("method") { Description = "An RPC method to describe.", Arity = ArgumentArity.ZeroOrOne };
        var help = new Command("help", "Print the node's RPC methods with one line each, or describe one method (RPC help). For time-cli's own options use --help.");
        help.Arguments.Add(method);
        runner.Bind(help, "help", parse => Optional(new JsonObject(), "method", parse.GetValue(method)));
        root.Subcommands.Add(help);

        var callMethod = new Argument<string>("method") { Description = "The RPC method name, e.g. uptime." };
        var callParams = new Argument<string?>("params") { Description = "Named parameters as a JSON object, e.g. '{\"range\":\"10.0.0.0/8\"}'.", Arity = ArgumentArity.ZeroOrOne };
        var call = new Command("call", "Call any RPC method by name with optional JSON parameters and print the result.");
        call.Arguments.Add(callMethod);
        call.Arguments.Add(callParams);
        runner.Bind(call, parse => parse.GetValue(callMethod)!, parse =>
        {
            var text = parse.GetValue(callParams);
            if (text is null)
            {
                return [];
            }

            try
            {
                return JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException("params must be a JSON object");
            }
            catch (JsonException e)
            {
                throw new ArgumentException("params is not valid JSON: " + e.Message, e);
            }
        });
        root.Subcommands.Add(call);

        return root;
    }

    /// <summary>Writes an RPC result: strings as plain text, null as nothing, anything else as indented JSON.</summary>
    internal static void WriteResult(JsonNode? result, TextWriter output)
    {
        switch (result)
        {
            case null:
                return;
            case JsonValue value when value.TryGetValue<string>(out var text):
                output.WriteLine(text);
                return;
            default:
                output.WriteLine(result.ToJsonString(PrettyJson));
                return;
        }
    }

    private static Command GetBlock(RpcCommandRunner runner)
    {
        var block = new Argument<string>("height-or-hash") { Description = "A height on the active chain (e.g. 4805) or a block hash (64 hex characters)." };
        var command = new Command("get-block", "Print one block's header fields, transaction count and size, by height or by hash (RPC get_block).");
        command.Arguments.Add(block);
        runner.Bind(command, "get_block", parse =>
        {
            var text = parse.GetValue(block)!.Trim();
            if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var height))
            {
                return new JsonObject { ["height"] = height };
            }

            if (text.Length == 64 && text.All(Uri.IsHexDigit))
            {
                return new JsonObject { ["hash"] = text };
            }

            throw new ArgumentException($"height-or-hash must be a height (digits) or a 64-character hex hash, got '{text}'");
        });
        return command;
    }

    private static Command GetAlerts(RpcCommandRunner runner)
    {
        var history = new Option<bool>("--history")
        {
            Description = "Also print the most recent raises and clears, newest first (the node keeps the last 256), so an alert that came and went is seen.",
        };
        var limit = new Option<int?>("--limit") { Description = "With --history: how many history rows (1 to 256)." };
        var command = new Command("get-alerts", "Print the node's active alerts (code, level, subject, since, message), most urgent first (RPC get_alerts).");
        command.Options.Add(history);
        command.Options.Add(limit);
        runner.Bind(command, "get_alerts", parse =>
        {
            var parameters = new JsonObject();
            if (parse.GetValue(history))
            {
                parameters["history"] = true;
            }

            if (parse.GetValue(limit) is { } rows)
            {
                parameters["limit"] = rows;
            }

            return parameters;
        });
        return command;
    }

    private static Command Whitelist(RpcCommandRunner runner)
    {
        var whitelist = new Command("whitelist", "Manage the node's rpc whitelist entries (by default: lenient liveness, no-ban, priority sync, a reserved inbound slot; whitelisted peers are redialed without giving up).");

        var range = new Argument<string>("range") { Description = "An IP address or CIDR range, e.g. 10.0.0.5 or 10.0.0.0/8." };
        var permissions = new Option<string[]>("--permissions")
        {
            Description = "Permissions granted, comma-separated or repeated, e.g. noban,prioritysync (lenientliveness, noban, prioritysync, reservedslot, all). Left out: all; given, it must name at least one.",
            AllowMultipleArgumentsPerToken = true,
        };
        var reason = new Option<string?>("--reason") { Description = "Why this entry exists; shown by whitelist list." };
        var add = new Command("add", "Whitelist <range> on the running node (RPC whitelist_add, source rpc); kept across restarts until removed.");
        add.Arguments.Add(range);
        add.Options.Add(permissions);
        add.Options.Add(reason);
        runner.Bind(add, "whitelist_add", parse =>
        {
            var parameters = new JsonObject { ["range"] = parse.GetValue(range) };
            var granted = (parse.GetValue(permissions) ?? []).SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            if (granted.Length > 0)
            {
                parameters["permissions"] = new JsonArray(granted.Select(p => (JsonNode)p).ToArray());
            }
            else if (parse.GetResult(permissions) is not null)
            {
                // Sending no permissions would let the node grant its default, all (no-ban included): the opposite
                // of what an empty list asks for.
                throw new ArgumentException("--permissions lists no permission; name at least one (lenientliveness, noban, prioritysync, reservedslot, all), or leave the option out for the default (all)");
            }

            return Optional(parameters, "reason", parse.GetValue(reason));
        });

        var removeRange = new Argument<string>("range") { Description = "The IP address or CIDR range to remove, as listed." };
        var remove = new Command("remove", "Remove an operator whitelist entry from the running node (RPC whitelist_remove).");
        remove.Arguments.Add(removeRange);
        runner.Bind(remove, "whitelist_remove", parse => new JsonObject { ["range"] = parse.GetValue(removeRange) });

        var list = runner.Simple("list", "whitelist_list", "Print every whitelist entry with its source (config, discovery, masternode, rpc) and reason (RPC whitelist_list).");

        whitelist.Subcommands.Add(add);
        whitelist.Subcommands.Add(remove);
        whitelist.Subcommands.Add(list);
        return whitelist;
    }

    private static Command Ban(RpcCommandRunner runner)
    {
        var ban = new Command("ban", "Manage the node's bans (addresses it refuses to talk to).");

        var range = new Argument<string>("range") { Description = "An IP address or CIDR range, e.g. 203.0.113.7 or 203.0.113.0/24." };
        var duration = new Option<long?>("--duration-secs") { Description = "How long the ban lasts, in seconds (1 to 31536000000, i.e. up to 1,000 years); left out, the ban is permanent." };
        duration.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is < 1)
            {
                result.AddError("--duration-secs must be at least 1");
            }
        });
        var reason = new Option<string?>("--reason") { Description = "Why the ban was made; shown by ban list." };
        var add = new Command("add", "Ban <range> on the running node and disconnect matching peers (RPC ban_add).");
        add.Arguments.Add(range);
        add.Options.Add(duration);
        add.Options.Add(reason);
        runner.Bind(add, "ban_add", parse =>
        {
            var parameters = new JsonObject { ["range"] = parse.GetValue(range) };
            if (parse.GetValue(duration) is { } seconds)
            {
                parameters["duration_secs"] = seconds;
            }

            return Optional(parameters, "reason", parse.GetValue(reason));
        });

        var removeRange = new Argument<string>("range") { Description = "The IP address or CIDR range to unban, as listed." };
        var remove = new Command("remove", "Lift the rpc or automatic ban on <range> on the running node (RPC ban_remove); a config ban (blacklisted_peers) stays until its line is removed from the config.");
        remove.Arguments.Add(removeRange);
        runner.Bind(remove, "ban_remove", parse => new JsonObject { ["range"] = parse.GetValue(removeRange) });

        var list = runner.Simple("list", "ban_list", "Print every active ban with its source, reason and expiry (RPC ban_list); a range banned by config and rpc is listed once per source.");

        ban.Subcommands.Add(add);
        ban.Subcommands.Add(remove);
        ban.Subcommands.Add(list);
        return ban;
    }

    private static JsonObject Optional(JsonObject parameters, string name, string? value)
    {
        if (value is not null)
        {
            parameters[name] = value;
        }

        return parameters;
    }
}
