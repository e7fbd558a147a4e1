using System.Buffers.Binary;
using System.IO.Hashing;

namespace TimeCoin.Simulation.Runtime;

/// <summary>
/// A running hash over every event that shapes a run, in order: delivered messages (link, time, bytes), timer
/// firings (time, timer id) and tip changes (node, height, hash). Two runs with one seed must end with one hash.
/// One per lane (host) and one for the harness; <see cref="SimulationTrace"/> combines them.
/// XXH128 (System.IO.Hashing): it only has to tell runs apart, not resist an adversary, and it is computed in managed
/// code with no allocation per event (the SHA-256 it replaced cost a call into OpenSSL per event).
/// </summary>
public sealed class TraceHash : IDisposable
{
    private readonly XxHash128 _hash = new();
    private readonly byte[] _scratch = new byte[32];

    /// <summary>Events hashed so far.</summary>
    public long Events { get; private set; }

    /// <summary>Adds a delivered message.</summary>
    public void MessageDelivered(long now, long linkId, ReadOnlySpan<byte> frame)
    {
        Header(1, now, linkId);
        _hash.Append(frame);
    }

    /// <summary>Adds a timer firing.</summary>
    public void TimerFired(long now, long timerId) => Header(2, now, timerId);

    /// <summary>Adds a tip change.</summary>
    public void TipChanged(long now, int node, long height, ReadOnlySpan<byte> hash)
    {
        Header(3, now, ((long)node << 40) ^ height);
        _hash.Append(hash);
    }

    /// <summary>Adds a harness event (a fault applied, a node crashed).</summary>
    public void Note(long now, string text)
    {
        Header(4, now, text.Length);
        _hash.Append(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Writes the 16-byte hash of everything so far into <paramref name="destination"/>.</summary>
    public void GetCurrentHash(Span<byte> destination) => _hash.GetCurrentHash(destination);

    /// <summary>The hash of everything so far (the trace goes on).</summary>
    public string Current()
    {
        Span<byte> digest = stackalloc byte[16];
        _hash.GetCurrentHash(digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Header(byte kind, long now, long id)
    {
        Events++;
        _scratch[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.AsSpan(1), now);
        BinaryPrimitives.WriteInt64LittleEndian(_scratch.AsSpan(9), id);
        _hash.Append(_scratch.AsSpan(0, 17));
    }
}
