namespace TimeCoin.Core.Liveness;

/// <summary>What a received pong meant to the <see cref="PingState"/>.</summary>
public enum PongResult
{
    /// <summary>The pong answered a ping in time: its round trip was recorded and the missed count reset.</summary>
    Matched,

    /// <summary>
    /// The pong answered a ping that had already been counted as missed. Its round trip is recorded (it is a real
    /// measurement) but the missed count is not reset: only an answer within the timeout does that.
    /// </summary>
    Late,

    /// <summary>The nonce matches no ping we sent (or one sent so long ago it was forgotten). Only a counter changes.</summary>
    Unknown,
}
