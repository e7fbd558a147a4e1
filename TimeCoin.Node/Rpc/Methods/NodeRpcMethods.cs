using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TimeCoin.Core.Chain;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Policy;

namespace TimeCoin.Node.Rpc.Methods;

/// <summary>
/// The node's JSON-RPC methods over its real state: <c>get_blockchain_info</c>, <c>get_block</c>,
/// <c>get_network_info</c>, <c>get_sync_status</c>, <c>get_chain_tips</c>, <c>whitelist_add/remove/list</c>, <c>ban_add/remove/list</c>,
/// <c>get_audit_log</c> and (devnet) <c>generate</c>. Parameter names are the ones time-cli sends. Every bad parameter
/// is answered with <see cref="RpcErrorCodes.InvalidParams"/> naming it; a request that is understood but cannot be
/// carried out gets <see cref="RpcErrorCodes.MiscError"/>.
/// </summary>
public static class NodeRpcMethods
{
    /// <summary>Default number of rows <c>get_audit_log</c> returns.</summary>
    public const int DefaultAuditLimit = 100;

    /// <summary>Most rows <c>get_audit_log</c> returns.</summary>
    public const int MaxAuditLimit = 10_000;

    /// <summary>Registers every method of this class in <paramref name="registry"/>.</summary>
    public static void Register(RpcMethodRegistry registry, NodeRpcContext context)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(context);

        registry.Register("get_blockchain_info", "Network, height, tip, genesis, known headers, federation size and sync state.", [],
            (_, _) => Result(BlockchainInfo(context)));
        registry.Register("get_block", "One block's header fields, transaction count and size, by hash or by height (give exactly one).",
            [
                new RpcParameter("hash", RpcParameterKind.String, false, "the block hash (64 hex characters)"),
                new RpcParameter("height", RpcParameterKind.Integer, false, "the height on the active chain"),
            ],
            (args, _) => Result(GetBlock(context, args)));
        registry.Register("get_network_info", "Connections (in/out), whitelisted peers connected or not (ip, port, reason, source, uptime, missed pongs, last pong, ping), whitelist count, sync_status, alerts, recent disconnects.", [],
            (_, _) =>
            {
                var answer = new JsonObject
                {
                    ["network"] = context.Chain.Parameters.NetworkName,
                    ["running"] = context.Network.IsRunning,
                    ["peers"] = context.Network.PeerCount,
                    ["best_peer_height"] = context.Network.BestPeerHeight,
                };
                if (context.Network.GetReport() is { } report)
                    StatusJson.AddNetworkReport(answer, report);
                return Result(answer);
            });
        registry.Register("get_sync_status", "Whether the node is syncing, our height, the height it syncs towards, best peer, blocks in flight, fork resolution, lag alert, last error.", [],
            (_, _) =>
            {
                var answer = new JsonObject
                {
                    ["running"] = context.Sync.IsRunning,
                    ["syncing"] = context.Sync.IsSyncing,
                    ["height"] = context.Chain.State.Height,
                    ["target_height"] = context.Sync.TargetHeight,
                };
                if (context.Sync.GetCoordinatorStatus() is { } status)
                    StatusJson.AddCoordinatorStatus(answer, status);
                return Result(answer);
            });
        registry.Register("get_chain_tips", "Every tip of the block tree: the active tip and each side branch, with height, hash, branch length and status.", [],
            (_, _) => Result(new JsonArray(context.Chain.State.GetTips().Select(t => (JsonNode)new JsonObject
            {
                ["height"] = t.Height,
                ["hash"] = t.Hash.ToString(),
                ["branch_length"] = t.BranchLength,
                ["status"] = t.IsActive ? "active" : "valid-fork",
            }).ToArray())));

        registry.Register("whitelist_add", "Whitelist a range (source rpc) until removed; permissions as names or in config syntax perm,perm@range.",
            [
                new RpcParameter("range", RpcParameterKind.String, true, "an address, a CIDR range, or perm1,perm2@range"),
                new RpcParameter("permissions", RpcParameterKind.Any, false, "permission names (array or comma-separated): lenientliveness, noban, prioritysync, reservedslot, all; default all"),
                new RpcParameter("reason", RpcParameterKind.String, false, "why, shown by whitelist_list"),
            ],
            (args, _) => Result(WhitelistAdd(context.Policy, args)));
        registry.Register("whitelist_remove", "Remove the rpc whitelist entry of a range (config entries are removed by editing the config).",
            [new RpcParameter("range", RpcParameterKind.String, true, "the range, as listed")],
            (args, _) => Result(WhitelistRemove(context.Policy, args)));
        registry.Register("whitelist_list", "Every whitelist entry with its source, permissions, reason and the time it was added.", [],
            (_, _) => Result(new JsonArray(context.Policy.ListWhitelist().Select(e => (JsonNode)WhitelistJson(e)).ToArray())));

        registry.Register("ban_add", "Ban a range for duration_secs seconds, or permanently when left out.",
            [
                new RpcParameter("range", RpcParameterKind.String, true, "an address or CIDR range"),
                new RpcParameter("duration_secs", RpcParameterKind.Integer, false, "seconds (at least 1); permanent when left out"),
                new RpcParameter("reason", RpcParameterKind.String, false, "why, shown by ban_list"),
            ],
            (args, _) => Result(BanAdd(context.Policy, args)));
        registry.Register("ban_remove", "Lift the ban on exactly this range.",
            [new RpcParameter("range", RpcParameterKind.String, true, "the range, as listed")],
            (args, _) => Result(BanRemove(context.Policy, args)));
        registry.Register("ban_list", "Every active ban with its source, reason, start and end (null = permanent).", [],
            (_, _) => Result(new JsonArray(context.Policy.ListBans().Select(b => (JsonNode)BanJson(b)).ToArray())));

        registry.Register("get_audit_log", "The most recent whitelist and ban changes, newest first.",
            [new RpcParameter("limit", RpcParameterKind.Integer, false, $"how many rows (1 to {MaxAuditLimit}, default {DefaultAuditLimit})")],
            (args, _) => Result(AuditLog(context, args)));

        registry.Register("generate", "Devnet only: produce count blocks now and return their hashes.",
            [new RpcParameter("count", RpcParameterKind.Integer, true, $"how many blocks (1 to {Production.BlockProducer.MaxGenerateCount})")],
            (args, _) => Result(Generate(context, args)));
    }

    private static ValueTask<JsonNode?> Result(JsonNode? node) => ValueTask.FromResult(node);

    private static RpcException BadParam(string name, string problem) =>
        new(RpcErrorCodes.InvalidParams, $"invalid params: parameter '{name}' {problem}");

    private static string Time(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject BlockchainInfo(NodeRpcContext context)
    {
        var state = context.Chain.State;
        var parameters = state.Parameters;
        var tip = state.Tip;
        return new JsonObject
        {
            ["network"] = parameters.NetworkName,
            ["height"] = tip.Height,
            ["tip_hash"] = tip.Hash.ToString(),
            ["tip_time"] = tip.Timestamp,
            ["tip_time_utc"] = Time(DateTimeOffset.FromUnixTimeSeconds(tip.Timestamp)),
            ["tip_slot"] = tip.Slot,
            ["genesis_hash"] = parameters.GenesisHash.ToString(),
            ["headers"] = state.HeaderCount,
            ["block_time_secs"] = parameters.BlockTimeSeconds,
            ["federation_size"] = parameters.Federation.Count,
            ["producing_keys"] = context.Producer?.ProducerKeys.Count ?? 0,
            ["syncing"] = context.Sync.IsSyncing,
            ["sync_running"] = context.Sync.IsRunning,
        };
    }

    private static JsonObject GetBlock(NodeRpcContext context, RpcArguments args)
    {
        var state = context.Chain.State;
        bool hasHash = args.Has("hash"), hasHeight = args.Has("height");
        if (hasHash == hasHeight)
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: give exactly one of parameter 'hash' or parameter 'height'");
        Hash256 hash;
        if (hasHash)
        {
            var text = args.GetString("hash")!;
            if (!Hash256.TryParse(text, out hash))
                throw BadParam("hash", $"must be 64 hex characters, got \"{text}\"");
        }
        else
        {
            long height = args.GetInt64("height")!.Value;
            if (height < 0)
                throw BadParam("height", $"must not be negative, got {height}");
            hash = state.GetHashAtHeight(height)
                ?? throw new RpcException(RpcErrorCodes.MiscError, $"no block at height {height}; the tip is at {state.Height}");
        }
        var block = context.Chain.GetBlock(hash)
            ?? throw new RpcException(RpcErrorCodes.MiscError, $"block {hash} is not known");
        var header = block.Header;
        bool active = state.IsOnActiveChain(hash);
        return new JsonObject
        {
            ["hash"] = hash.ToString(),
            ["height"] = header.Height,
            ["version"] = header.Version,
            ["previous_hash"] = header.PreviousHash.ToString(),
            ["merkle_root"] = header.MerkleRoot.ToString(),
            ["slot"] = header.Slot,
            ["time"] = header.Timestamp,
            ["time_utc"] = Time(DateTimeOffset.FromUnixTimeSeconds(header.Timestamp)),
            ["producer"] = header.Producer.ToString(),
            ["signature"] = Convert.ToHexStringLower(header.Signature),
            ["tx_count"] = block.Transactions.Count,
            ["size"] = block.EncodedSize,
            ["in_active_chain"] = active,
            ["confirmations"] = active ? state.Height - header.Height + 1 : 0,
        };
    }

    private static IpRange ParseRange(RpcArguments args)
    {
        var text = args.GetString("range")!;
        return IpRange.TryParse(text, out var range, out var error) ? range : throw BadParam("range", $"is not an address or range: {error}");
    }

    private static JsonObject WhitelistAdd(PeerPolicy policy, RpcArguments args)
    {
        var text = args.GetString("range")!;
        if (!WhitelistSpec.TryParse(text, out var spec, out var error))
            throw BadParam("range", $"is not valid: {error}");
        var permissions = spec.Permissions;
        if (args.GetJson("permissions") is { } given)
        {
            if (permissions is not null)
                throw BadParam("permissions", "must not be given when 'range' already carries permissions (perm@range)");
            permissions = ParsePermissions(given);
        }
        var reason = args.GetString("reason") ?? "added over rpc";
        try
        {
            policy.AddWhitelist(spec.Range, WhitelistSource.Rpc, reason, permissions);
        }
        catch (ArgumentException e)
        {
            throw BadParam("permissions", e.Message);
        }
        var entry = policy.ListWhitelist().First(e => e.Source == WhitelistSource.Rpc && e.Range == spec.Range);
        return WhitelistJson(entry);
    }

    private static PeerPermissions ParsePermissions(JsonElement value)
    {
        string text;
        if (value.ValueKind == JsonValueKind.String)
        {
            text = value.GetString()!;
        }
        else if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            text = string.Join(",", value.EnumerateArray().Select(e => e.GetString()));
        }
        else
        {
            throw BadParam("permissions", $"must be a string or an array of strings, got {value.ValueKind.ToString().ToLowerInvariant()}");
        }
        return PeerPermissionNames.TryParse(text, out var permissions, out var error) ? permissions : throw BadParam("permissions", error);
    }

    private static JsonObject WhitelistRemove(PeerPolicy policy, RpcArguments args)
    {
        var range = ParseRange(args);
        if (!policy.RemoveWhitelist(range, WhitelistSource.Rpc, "removed over rpc"))
        {
            var others = policy.ListWhitelist().Where(e => e.Range == range).Select(e => e.Source.ToString().ToLowerInvariant()).ToList();
            var hint = others.Count > 0 ? $"; it is listed by {string.Join(", ", others)}, which rpc cannot remove (edit the config for config entries)" : "";
            throw new RpcException(RpcErrorCodes.MiscError, $"no rpc whitelist entry for {range}{hint}");
        }
        return new JsonObject { ["removed"] = range.ToString() };
    }

    private static JsonObject WhitelistJson(WhitelistEntry entry) => new()
    {
        ["range"] = entry.Range.ToString(),
        ["source"] = entry.Source.ToString().ToLowerInvariant(),
        ["permissions"] = new JsonArray(PeerPermissionNames.Format(entry.Permissions).Split(',').Select(p => (JsonNode)p).ToArray()),
        ["reason"] = entry.Reason,
        ["added_at"] = Time(entry.AddedAt),
    };

    /// <summary>
    /// The longest timed ban, in seconds: 1,000 years of 365 days, so the end always fits a date (years up to 9999);
    /// for longer, leave the duration out for a permanent ban.
    /// </summary>
    internal const long MaxBanSeconds = 1_000L * 365 * 24 * 60 * 60;

    private static JsonObject BanAdd(PeerPolicy policy, RpcArguments args)
    {
        var range = ParseRange(args);
        TimeSpan? duration = null;
        if (args.GetInt64("duration_secs") is { } seconds)
        {
            if (seconds < 1 || seconds > MaxBanSeconds)
                throw BadParam("duration_secs", $"must be from 1 to {MaxBanSeconds} (leave it out for a permanent ban), got {seconds}");
            duration = TimeSpan.FromSeconds(seconds);
        }
        policy.Ban(range, duration, args.GetString("reason") ?? "banned over rpc", BanSource.Rpc);
        var ban = policy.ListBans().First(b => b.Range == range && b.Source == BanSource.Rpc);
        return BanJson(ban);
    }

    // Lifts the rpc and automatic bans on the range, never a config ban: that one follows blacklisted_peers (as
    // whitelist_remove leaves config entries alone).
    private static JsonObject BanRemove(PeerPolicy policy, RpcArguments args)
    {
        var range = ParseRange(args);
        var lifted = policy.Unban(range, BanSource.Rpc, "unbanned over rpc");
        var configBan = policy.ListBans().Any(b => b.Range == range && b.Source == BanSource.Config);
        if (!lifted)
        {
            throw new RpcException(RpcErrorCodes.MiscError, configBan
                ? $"{range} is banned only by the config (blacklisted_peers), which rpc cannot lift; remove the line from the config and restart"
                : $"no active ban on exactly {range} (see ban_list)");
        }
        return new JsonObject { ["removed"] = range.ToString(), ["config_ban_remains"] = configBan };
    }

    private static JsonObject BanJson(BanEntry ban) => new()
    {
        ["range"] = ban.Range.ToString(),
        ["source"] = ban.Source.ToString().ToLowerInvariant(),
        ["reason"] = ban.Reason,
        ["created_at"] = Time(ban.CreatedAt),
        ["until"] = ban.Until is { } until ? Time(until) : null,
        ["permanent"] = ban.IsPermanent,
    };

    private static JsonArray AuditLog(NodeRpcContext context, RpcArguments args)
    {
        long limit = args.GetInt64("limit") ?? DefaultAuditLimit;
        if (limit < 1 || limit > MaxAuditLimit)
            throw BadParam("limit", $"must be 1 to {MaxAuditLimit}, got {limit}");
        return new JsonArray(context.Database.LoadAudit((int)limit).Select(row => (JsonNode)new JsonObject
        {
            ["at"] = Time(row.At),
            ["source"] = row.Source,
            ["action"] = row.Action,
            ["range"] = row.Subject,
            ["reason"] = row.Reason,
        }).ToArray());
    }

    private static JsonArray Generate(NodeRpcContext context, RpcArguments args)
    {
        var parameters = context.Chain.Parameters;
        if (parameters.NetworkMagic != ChainParameters.DevnetMagic)
            throw new RpcException(RpcErrorCodes.MethodNotFound, $"generate is only available on devnet; this node runs {parameters.NetworkName}");
        long count = args.GetInt64("count")!.Value;
        if (count < 1 || count > Production.BlockProducer.MaxGenerateCount)
            throw BadParam("count", $"must be 1 to {Production.BlockProducer.MaxGenerateCount}, got {count}");
        var producer = context.Producer
            ?? throw new RpcException(RpcErrorCodes.MiscError, "generate needs block production, which is not running on this node");
        IReadOnlyList<Block> blocks;
        try
        {
            blocks = producer.Generate((int)count);
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(RpcErrorCodes.MiscError, e.Message);
        }
        catch (Sync.ChainStoreFailedException e)
        {
            // Nothing of the failed batch was stored; production has stopped and the node stops (store_failing).
            throw new RpcException(RpcErrorCodes.MiscError, $"{e.Message}; block production stopped");
        }
        return new JsonArray(blocks.Select(b => (JsonNode)b.Hash.ToString()).ToArray());
    }
}
