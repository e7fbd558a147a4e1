namespace TimeCoin.Core.Policy;

/// <summary>The decision for an inbound connection; the caller carries it out.</summary>
/// <param name="Action">Admit, reject, or admit after evicting.</param>
/// <param name="RejectReason">Set when <see cref="Action"/> is <see cref="AdmissionAction.Reject"/>.</param>
/// <param name="EvictPeerId">Set when <see cref="Action"/> is <see cref="AdmissionAction.AdmitEvicting"/>: the peer to close.</param>
public sealed record AdmissionDecision(AdmissionAction Action, AdmissionRejectReason? RejectReason, string? EvictPeerId)
{
    /// <summary>Accept the connection.</summary>
    public static AdmissionDecision Admit { get; } = new(AdmissionAction.Admit, null, null);

    /// <summary>Refuse the connection for <paramref name="reason"/>.</summary>
    public static AdmissionDecision Reject(AdmissionRejectReason reason) => new(AdmissionAction.Reject, reason, null);

    /// <summary>Accept the connection after closing <paramref name="peerId"/>.</summary>
    public static AdmissionDecision AdmitEvicting(string peerId) => new(AdmissionAction.AdmitEvicting, null, peerId);

    /// <summary>True for <see cref="AdmissionAction.Admit"/> and <see cref="AdmissionAction.AdmitEvicting"/>.</summary>
    public bool IsAdmitted => Action != AdmissionAction.Reject;
}
