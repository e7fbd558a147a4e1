namespace TimeCoin.Simulation.Runtime;

/// <summary>An object owned by one lane that other lanes may send <see cref="MailboxMessage"/>s to.</summary>
internal interface IMailboxTarget
{
    /// <summary>The lane that owns the target (merges its messages and runs what they cause).</summary>
    SimulationLane Lane { get; }

    /// <summary>
    /// Takes a message in, on the owning lane's thread at the start of a window, before the lane runs anything of it
    /// (the message's arrival lies at or after the window's start): queue a frame, arm a timer for the arrival.
    /// </summary>
    void OnMerged(in MailboxMessage message);
}
