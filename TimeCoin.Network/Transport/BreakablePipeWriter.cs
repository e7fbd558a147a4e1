using System.IO.Pipelines;

namespace TimeCoin.Network.Transport;

/// <summary>
/// Wraps the writing end of an in-memory pipe so that the connection can be broken from any thread while its owner
/// is writing: once broken, the reader sees the end of the stream, pending and later flushes report completion and
/// written bytes are discarded. The inner writer is only ever completed when no span handed out is still being
/// written, so no pooled buffer is touched after it returns to the pool.
/// </summary>
internal sealed class BreakablePipeWriter : PipeWriter
{
    private readonly PipeWriter _inner;
    private readonly object _gate = new();
    private bool _broken;
    private bool _memoryOut;
    private bool _innerCompleted;
    private Exception? _breakException;
    private byte[] _discard = [];

    public BreakablePipeWriter(PipeWriter inner) => _inner = inner;

    public bool IsBroken
    {
        get { lock (_gate) return _broken; }
    }

    /// <summary>Breaks the stream; <paramref name="exception"/> null means a graceful end of stream.</summary>
    public void Break(Exception? exception)
    {
        lock (_gate)
        {
            if (_broken)
                return;
            _broken = true;
            _breakException = exception;
            if (!_memoryOut)
                CompleteInnerLocked(exception);
        }
        _inner.CancelPendingFlush();
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        lock (_gate)
        {
            if (_broken || _innerCompleted)
                return Discard(sizeHint);
            var memory = _inner.GetMemory(sizeHint);
            _memoryOut = true;
            return memory;
        }
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        lock (_gate)
        {
            if (_broken)
            {
                if (_memoryOut)
                {
                    _memoryOut = false;
                    CompleteInnerLocked(_breakException);
                }
                return;
            }
            if (_innerCompleted)
                return;
            _memoryOut = false;
            _inner.Advance(bytes);
        }
    }

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> pending;
        lock (_gate)
        {
            if (_broken || _innerCompleted)
            {
                if (_broken && _memoryOut)
                {
                    _memoryOut = false;
                    CompleteInnerLocked(_breakException);
                }
                return new FlushResult(isCanceled: false, isCompleted: true);
            }
            pending = _inner.FlushAsync(cancellationToken);
        }
        var result = await pending;
        if (result.IsCanceled && IsBroken)
            return new FlushResult(isCanceled: false, isCompleted: true);
        return result;
    }

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        lock (_gate)
        {
            _memoryOut = false;
            CompleteInnerLocked(exception);
        }
    }

    private void CompleteInnerLocked(Exception? exception)
    {
        if (_innerCompleted)
            return;
        _innerCompleted = true;
        _inner.Complete(exception);
    }

    private Memory<byte> Discard(int sizeHint)
    {
        int size = Math.Max(sizeHint, 4096);
        if (_discard.Length < size)
            _discard = new byte[size];
        return _discard;
    }
}
