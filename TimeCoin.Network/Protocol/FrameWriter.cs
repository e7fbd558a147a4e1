using System.IO.Pipelines;
using System.Security.Cryptography;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Writes frames to a <see cref="PipeWriter"/> and flushes each one (the flush waits while the peer has more than the
/// pipe's pause threshold unread, so a slow peer slows us down instead of growing a buffer). Safe to call from
/// several tasks: frames are written one at a time and never interleave.
/// </summary>
internal sealed class FrameWriter : IDisposable
{
    private readonly PipeWriter _output;
    private readonly NetworkMagic _magic;
    private readonly int _maxPayloadLength;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly IncrementalHash _checksumHasher = FrameFormat.CreateChecksumHasher(); // used under _writeLock
    private volatile bool _closed;

    /// <summary>Creates a writer for network <paramref name="magic"/>.</summary>
    public FrameWriter(PipeWriter output, NetworkMagic magic, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadLength);
        _output = output;
        _magic = magic;
        _maxPayloadLength = maxPayloadLength;
    }

    /// <summary>True once a write found the connection closed.</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Writes one frame and flushes it. Returns false (never throws) when the connection is closed or failed.
    /// </summary>
    /// <exception cref="ArgumentException">The payload is above the maximum (a bug in the caller, not the peer).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<bool> WriteAsync(MessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > _maxPayloadLength)
            throw new ArgumentException($"Payload of {payload.Length} bytes exceeds the frame maximum of {_maxPayloadLength}.", nameof(payload));
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
                return false;
            FrameFormat.Write(_output, _magic, type, payload.Span, _checksumHasher);
            var flushed = await _output.FlushAsync(cancellationToken);
            if (flushed.IsCompleted)
                _closed = true;
            return !flushed.IsCompleted;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // A frame may be half written: the stream is no longer usable.
            _closed = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            _closed = true;
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Encodes <paramref name="message"/> with <see cref="MessageCodec"/> and writes it as one frame.</summary>
    /// <returns>False when the connection is closed.</returns>
    public ValueTask<bool> WriteAsync(NetworkMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteAsync(message.Type, MessageCodec.Encode(message), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writeLock.Dispose();
        _checksumHasher.Dispose();
    }
}
