namespace TimeCoin.Core.Policy;

/// <summary>
/// What the whitelist said of one address at one <see cref="PeerPolicy.WhitelistVersion"/>: a caller that asks about
/// the same address often (a connection, for every message and every liveness poll) keeps this until the version
/// changes instead of asking the policy again.
/// </summary>
/// <param name="Permissions">The union of the permissions of the entries containing the address.</param>
/// <param name="IsWhitelisted">True when any entry, of any source, contains the address.</param>
/// <param name="IsManuallyWhitelisted">True when a config or rpc entry contains the address.</param>
/// <param name="Version">The whitelist version this answer holds for.</param>
public readonly record struct WhitelistStanding(PeerPermissions Permissions, bool IsWhitelisted, bool IsManuallyWhitelisted, long Version);
