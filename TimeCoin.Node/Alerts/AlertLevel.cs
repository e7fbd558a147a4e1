namespace TimeCoin.Node.Alerts;

/// <summary>How urgent an alert is. Ordered: a higher value is more urgent.</summary>
public enum AlertLevel
{
    /// <summary>Worth a look (the node works, but something drifts: sync lag).</summary>
    Warning,

    /// <summary>Something is misconfigured or broken and needs an operator (an empty whitelist, a failing store).</summary>
    Error,

    /// <summary>Trusted connectivity is lost (a whitelisted peer is gone, or none is connected).</summary>
    Critical,
}
