namespace TimeCoin.Core.Policy;

/// <summary>The kind of an <see cref="AdmissionDecision"/>.</summary>
public enum AdmissionAction
{
    /// <summary>Accept the connection.</summary>
    Admit,

    /// <summary>Refuse the connection.</summary>
    Reject,

    /// <summary>Accept the connection after closing the named existing inbound peer.</summary>
    AdmitEvicting,
}
