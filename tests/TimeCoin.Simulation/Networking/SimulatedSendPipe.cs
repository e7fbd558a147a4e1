using System.Buffers.Binary;
using System.IO.Pipelines;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The sending end of a <see cref="LinkSender"/>: the node's <see cref="PipeWriter"/>. A flush hands every
/// complete frame written so far to the link at once (the link schedules its arrival), with no pump and no
/// continuation in between; a frame the writer filled exactly is handed over without a copy. Back-pressure: the flush
/// waits while more than <see cref="SimulatedNetwork.WindowBytes"/> are unacknowledged on the link. Once the link's sender
/// side is closed (reset, close), writes are discarded and flushes report completion, as a real socket's pipe does.
/// </summary>
internal sealed class SimulatedSendPipe : PipeWriter
{
    private const int MinimumBuffer = 256;
    private readonly LinkSender _link;
    private byte[]? _buffer;
    private int _written;
    private TaskCompletionSource<FlushResult>? _flushWaiter;
    private CancellationTokenRegistration _flushCancellation;

    public SimulatedSendPipe(LinkSender link) => _link = link;

    public override void Advance(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (_buffer is null || _written + bytes > _buffer.Length)
            throw new InvalidOperationException("Advanced past the buffer GetMemory/GetSpan returned.");
        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    public override Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TakeFrames();
        if (_link.SenderClosed)
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        if (!_link.WindowFull)
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        // The window is full: the writer waits until deliveries make room (or the connection closes).
        _flushWaiter = new TaskCompletionSource<FlushResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellationToken.CanBeCanceled)
            _flushCancellation = cancellationToken.Register(static s => ((SimulatedSendPipe)s!).CancelFlushWaiter(), this);
        return new ValueTask<FlushResult>(_flushWaiter.Task);
    }

    public override void CancelPendingFlush() => ReleaseFlushWaiter(new FlushResult(isCanceled: true, isCompleted: false));

    public override void Complete(Exception? exception = null)
    {
        // The sender disposed its end: what it wrote goes out, then a FIN.
        TakeFrames();
        _buffer = null;
        _written = 0;
        _link.CloseSender(reset: false);
    }

    /// <summary>The link made room in its window or closed: a waiting flush goes on.</summary>
    public void OnWindowOpenOrClosed() =>
        ReleaseFlushWaiter(new FlushResult(isCanceled: false, isCompleted: _link.SenderClosed));

    private void ReleaseFlushWaiter(FlushResult result)
    {
        var waiter = _flushWaiter;
        if (waiter is null)
            return;
        _flushWaiter = null;
        _flushCancellation.Dispose();
        waiter.TrySetResult(result);
    }

    private void CancelFlushWaiter()
    {
        var waiter = _flushWaiter;
        _flushWaiter = null;
        waiter?.TrySetCanceled();
    }

    private byte[] Ensure(int sizeHint)
    {
        int need = Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            // Sized to the hint: a frame written in one piece (FrameFormat.Write asks for exactly its size) fills it
            // exactly and is handed to the link without a copy.
            _buffer = new byte[Math.Max(need, sizeHint > 0 ? sizeHint : MinimumBuffer)];
        }
        else if (_buffer.Length - _written < need)
        {
            var larger = new byte[Math.Max(_written + need, _buffer.Length * 2)];
            _buffer.AsSpan(0, _written).CopyTo(larger);
            _buffer = larger;
        }
        return _buffer;
    }

    /// <summary>Hands every complete frame in the buffer to the link; a partial frame stays until it is complete.</summary>
    private void TakeFrames()
    {
        if (_buffer is null || _written == 0)
            return;
        if (_link.SenderClosed)
        {
            _written = 0;
            return;
        }
        int offset = 0;
        while (_written - offset >= FrameFormat.HeaderSize)
        {
            long total = FrameFormat.HeaderSize + (long)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(offset + FrameFormat.LengthOffset));
            if (total > 64L * 1024 * 1024)
                total = _written - offset; // not a frame we can parse: pass the bytes on as they are
            if (_written - offset < total)
                break;
            if (offset == 0 && total == _written && _written == _buffer.Length)
            {
                // The writer filled the buffer with exactly one frame: hand the array itself over.
                var whole = _buffer;
                _buffer = null;
                _written = 0;
                _link.Send(whole);
                return;
            }
            var frame = _buffer.AsSpan(offset, (int)total).ToArray();
            offset += (int)total;
            _link.Send(frame);
        }
        if (offset > 0)
        {
            _buffer.AsSpan(offset, _written - offset).CopyTo(_buffer);
            _written -= offset;
        }
    }
}
