namespace TimeCoin.Core.Policy;

/// <summary>What the caller must do after <see cref="PeerPolicy.RecordViolation"/>.</summary>
public enum ViolationAction
{
    /// <summary>Counted (or tolerated); keep the connection.</summary>
    Ignored,

    /// <summary>Close the connection; the address is not banned.</summary>
    Disconnect,

    /// <summary>Close the connection; the address is banned (see the outcome's end time).</summary>
    Banned,
}
