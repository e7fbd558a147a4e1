using TimeCoin.Core.Policy;
using TimeCoin.Sync;

namespace TimeCoin.Node.Alerts;

/// <summary>The state the <see cref="NodeAlertMonitor"/> evaluates, read from the node's services at one instant.</summary>
/// <param name="Whitelist">Every whitelist entry (all sources).</param>
/// <param name="ConnectedWhitelisted">The live connections to whitelisted addresses (a closing one may still be listed).</param>
/// <param name="ForkResolutions">The sync planner's fork resolutions, by peer.</param>
public sealed record AlertInputs(
    IReadOnlyList<WhitelistEntry> Whitelist,
    IReadOnlyCollection<ConnectedWhitelistedPeer> ConnectedWhitelisted,
    IReadOnlyList<ForkResolutionStatus> ForkResolutions);
