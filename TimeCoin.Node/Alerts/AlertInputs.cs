using System.Net;
using TimeCoin.Core.Policy;
using TimeCoin.Sync;

namespace TimeCoin.Node.Alerts;

/// <summary>The state the <see cref="NodeAlertMonitor"/> evaluates, read from the node's services at one instant.</summary>
/// <param name="Whitelist">Every whitelist entry (all sources).</param>
/// <param name="ConnectedWhitelistedAddresses">The (normalized) addresses of the whitelisted peers connected now.</param>
/// <param name="ForkResolutions">The sync planner's fork resolutions, by peer.</param>
public sealed record AlertInputs(
    IReadOnlyList<WhitelistEntry> Whitelist,
    IReadOnlyCollection<IPAddress> ConnectedWhitelistedAddresses,
    IReadOnlyList<ForkResolutionStatus> ForkResolutions);
