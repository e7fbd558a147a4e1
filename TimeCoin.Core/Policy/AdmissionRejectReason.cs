namespace TimeCoin.Core.Policy;

/// <summary>Why an inbound connection was refused.</summary>
public enum AdmissionRejectReason
{
    /// <summary>The address is banned.</summary>
    Banned,

    /// <summary>The address already has the maximum number of inbound connections.</summary>
    PerIpLimit,

    /// <summary>All inbound slots the peer may use are taken and no connected peer may be evicted.</summary>
    Full,
}
