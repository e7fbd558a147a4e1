using TimeCoin.Network.Connections;

namespace TimeCoin.Node.Metrics;

/// <summary>
/// Maps a disconnect's free-text reason to one of a few fixed labels, so the <c>reason</c> label of
/// <c>timecoin_peer_disconnects_total</c> stays low-cardinality (the full text is in logs and <c>get_network_info</c>).
/// </summary>
public static class DisconnectReasons
{
    /// <summary>Every label <see cref="Classify(DisconnectRecord)"/> returns.</summary>
    public static IReadOnlyList<string> All { get; } =
        ["liveness", "violation", "banned", "duplicate", "evicted", "protocol_error", "connection_closed", "node_stopping", "internal_error", "goodbye", "other"];

    /// <summary>The label for <paramref name="record"/>: <c>goodbye</c> when the peer left in order with a Goodbye, else by its reason.</summary>
    public static string Classify(DisconnectRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.ClosedByGoodbye ? "goodbye" : Classify(record.Reason);
    }

    /// <summary>The label for <paramref name="reason"/>.</summary>
    public static string Classify(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        bool Starts(string prefix) => reason.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
        if (Starts("liveness") || reason.Contains("pong", StringComparison.OrdinalIgnoreCase) || reason.Contains("timeout", StringComparison.OrdinalIgnoreCase))
            return "liveness";
        if (Starts("violation"))
            return "violation";
        if (Starts("banned") || Starts("address banned"))
            return "banned";
        if (Starts("duplicate"))
            return "duplicate";
        if (Starts("evicted"))
            return "evicted";
        if (Starts("protocol error"))
            return "protocol_error";
        if (Starts("node stopping"))
            return "node_stopping";
        if (Starts("internal error"))
            return "internal_error";
        if (Starts("connection") || Starts("send failed") || reason.Contains("closed", StringComparison.OrdinalIgnoreCase))
            return "connection_closed";
        return "other";
    }
}
