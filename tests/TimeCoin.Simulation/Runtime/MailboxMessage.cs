namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// A cross-host effect in flight: what one lane's code sent to another host's object (a frame, a close, a dial, an
/// acknowledgement), due at <see cref="Arrival"/>. It waits in the sending lane's outbox until the window ends and is
/// then handed to the receiving lane, which merges it (<see cref="IMailboxTarget.OnMerged"/>) before it runs its next
/// window. Outboxes are merged in lane order and, within a lane, in sending order, so the receiving lane sees one
/// order whatever the number of worker threads.
/// </summary>
/// <param name="Arrival">Virtual time (ticks) at which the effect happens at the receiver; never inside the window it was sent in.</param>
/// <param name="Target">The receiving object (owned by the receiving lane).</param>
/// <param name="Kind">What the effect is (the target's own code).</param>
/// <param name="Payload">What it carries (a frame, a connection end, a count).</param>
/// <param name="Value">A number it carries (a cumulative byte count).</param>
internal readonly record struct MailboxMessage(long Arrival, IMailboxTarget Target, int Kind, object? Payload, long Value = 0);
