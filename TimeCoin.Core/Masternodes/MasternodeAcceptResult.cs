namespace TimeCoin.Core.Masternodes;

/// <summary>The outcome of offering a heartbeat or announcement to the <see cref="HeartbeatRegistry"/>.</summary>
/// <param name="Rejection">Why it was refused, or <see cref="MasternodeRejection.None"/>.</param>
/// <param name="Message">Human-readable detail: what was accepted, or what was wrong with figures.</param>
public readonly record struct MasternodeAcceptResult(MasternodeRejection Rejection, string Message)
{
    /// <summary>True when the registry took the message (it should then be relayed).</summary>
    public bool Accepted => Rejection == MasternodeRejection.None;

    /// <summary>An acceptance.</summary>
    public static MasternodeAcceptResult Accept(string message) => new(MasternodeRejection.None, message);

    /// <summary>A refusal with its reason.</summary>
    public static MasternodeAcceptResult Reject(MasternodeRejection rejection, string message) => new(rejection, message);
}
