namespace TimeCoin.Node.Alerts;

/// <summary>One active alert.</summary>
/// <param name="Code">The stable code (see <see cref="AlertCodes"/>).</param>
/// <param name="Level">How urgent it is.</param>
/// <param name="Message">A sentence for the operator (updated while the alert stays active; <paramref name="Since"/> is not).</param>
/// <param name="Since">When the alert was raised.</param>
/// <param name="Subject">What it is about (an IP, a peer id, a store), or null for a node-wide condition.</param>
public sealed record NodeAlert(string Code, AlertLevel Level, string Message, DateTimeOffset Since, string? Subject);
