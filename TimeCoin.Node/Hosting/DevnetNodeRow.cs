namespace TimeCoin.Node.Hosting;

/// <summary>One node's line in the devnet view, read from the node's own status (nothing computed twice).</summary>
/// <param name="Index">The node's number.</param>
/// <param name="State">"up", "down" (stopped by chaos) or "waiting" (late joiner not started yet).</param>
/// <param name="Height">Chain height (-1 when not running).</param>
/// <param name="Tip">First 8 hex digits of the tip hash ("" when not running).</param>
/// <param name="PeersIn">Inbound connections.</param>
/// <param name="PeersOut">Outbound connections.</param>
/// <param name="WhitelistedConnected">Connected peers that are whitelisted.</param>
/// <param name="MissedPongs">Missed pongs summed over the connected peers (consecutive, per peer).</param>
/// <param name="BestPeerHeight">The best height a peer reported (-1 for none).</param>
/// <param name="Syncing">True while the sync coordinator fetches blocks.</param>
/// <param name="Alerts">The node's active alerts, read from its <see cref="TimeCoin.Node.Alerts.AlertCenter"/> (see <see cref="DevnetView.AlertText"/>).</param>
public sealed record DevnetNodeRow(int Index, string State, long Height, string Tip, int PeersIn, int PeersOut, int WhitelistedConnected,
    int MissedPongs, long BestPeerHeight, bool Syncing, IReadOnlyList<string> Alerts)
{
    /// <summary>Catch-up progress: "in sync", or "height/best (percent)" while behind the best peer.</summary>
    public string CatchUp => State != "up" ? "" :
        BestPeerHeight > Height && BestPeerHeight > 0
            ? $"{Height}/{BestPeerHeight} ({100.0 * Math.Max(0, Height) / BestPeerHeight:0}%)"
            : "in sync";
}
