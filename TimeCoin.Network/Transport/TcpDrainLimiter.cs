namespace TimeCoin.Network.Transport;

/// <summary>
/// Bounds how many closed TCP connections drain at once (<see cref="TcpConnection"/>: after our FIN, the peer's input is
/// read and discarded for up to <see cref="TcpConnection.DrainTimeout"/> so a goodbye is not lost to a reset). Each
/// drain holds a socket descriptor; without a bound, a flood of connections would hold accept rate × 2 s of them. A
/// close above the bound releases the socket at once (what we wrote may then be lost to a reset, which is only ever
/// a courtesy lost). Thread-safe.
/// </summary>
internal sealed class TcpDrainLimiter
{
    /// <summary>
    /// Drains at once for the whole process (<see cref="Shared"/>): 256. A node has at most about 190 connections (117
    /// inbound, 8 automatic outbound plus whitelisted and persistent peers, 64 inbound handshakes pending), so a stop
    /// that says goodbye to every peer still drains them all; a flood holds at most 256 descriptors in drains, far
    /// below the usual limit of 1,024 open files per process.
    /// </summary>
    public const int DefaultCapacity = 256;

    private int _inProgress;
    private long _refused;

    /// <summary>Creates a limiter allowing <paramref name="capacity"/> drains at once.</summary>
    public TcpDrainLimiter(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
    }

    /// <summary>The limiter every <see cref="TcpTransport"/> uses unless told otherwise (one bound per process: descriptors are per process).</summary>
    public static TcpDrainLimiter Shared { get; } = new(DefaultCapacity);

    /// <summary>Most drains at once.</summary>
    public int Capacity { get; }

    /// <summary>Drains in progress now.</summary>
    public int InProgress => Volatile.Read(ref _inProgress);

    /// <summary>Closes that found the limiter full and released their socket at once.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Takes a drain slot; false (and counted in <see cref="Refused"/>) when all are taken.</summary>
    public bool TryEnter()
    {
        while (true)
        {
            int current = Volatile.Read(ref _inProgress);
            if (current >= Capacity)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }
            if (Interlocked.CompareExchange(ref _inProgress, current + 1, current) == current)
                return true;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Interlocked.Decrement(ref _inProgress);
}
