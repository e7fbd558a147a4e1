using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace TimeCoin.Simulation.Networking;

/// <summary>
/// The receiving end of a <see cref="LinkReceiver"/>: the node's <see cref="PipeReader"/> over the frames the link
/// delivered (each kept as the array the sender wrote, chained without copying). A read waiting for data resumes when
/// the link delivers: inline when the link's delivery timer (on the receiving node's context) wakes it and the read
/// was awaited on that context, so a frame reaches the node's frame reader without a hop through the run queue. Every
/// other wake (a close, a cancellation, from the node's own code) is posted to the context, as a real pipe's
/// continuation is scheduled, so no node code runs re-entrantly inside another node call. Pipe semantics the frame reader relies on: a read returns everything
/// unconsumed; after everything was examined the next read waits for more; completion with an error (a reset) is
/// thrown by the next read.
/// </summary>
internal sealed class SimulatedReceivePipe : PipeReader, IValueTaskSource<ReadResult>
{
    private readonly SynchronizationContext _owner;
    private Segment? _head;
    private int _headIndex;
    private Segment? _tail;
    private long _nextRunningIndex;
    private bool _examinedAll;
    private bool _writerCompleted;
    private Exception? _writerError;
    private bool _readerCompleted;
    private bool _cancelPending;

    // The one pending read (IValueTaskSource).
    private short _version;
    private bool _pending;
    private bool _ready;
    private ReadResult _result;
    private Exception? _resultError;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private SynchronizationContext? _continuationContext;
    private ExecutionContext? _continuationExecutionContext;
    private CancellationTokenRegistration _readCancellation;

    /// <summary>Creates the reader of a connection end owned by <paramref name="owner"/> (the receiving node's context).</summary>
    public SimulatedReceivePipe(SynchronizationContext owner) => _owner = owner;

    /// <summary>Bytes delivered and not yet consumed by the reader.</summary>
    public long Buffered => _head is null ? 0 : _tail!.RunningIndex + _tail.Memory.Length - (_head.RunningIndex + _headIndex);

    /// <summary>False once the reader completed (delivered frames are then discarded).</summary>
    public bool IsReading => !_readerCompleted;

    /// <summary>Appends a delivered frame (the reader is woken by <see cref="Wake"/>).</summary>
    public void Append(byte[] frame)
    {
        if (_readerCompleted || _writerCompleted || frame.Length == 0)
            return;
        var segment = new Segment(frame, _nextRunningIndex);
        _nextRunningIndex += frame.Length;
        if (_tail is null)
        {
            _head = segment;
            _headIndex = 0;
        }
        else
        {
            _tail.SetNext(segment);
        }
        _tail = segment;
        _examinedAll = false;
    }

    /// <summary>The writing side is done: the end of the stream (null) or a reset (an exception the next read throws).</summary>
    public void CompleteWriter(Exception? error)
    {
        if (_writerCompleted)
            return;
        _writerCompleted = true;
        _writerError = error;
        Wake();
    }

    /// <summary>
    /// Completes a waiting read if there is something to return now. <paramref name="inline"/>: the caller is a
    /// top-level callback on the reader's context (the delivery timer), so the read may resume right here.
    /// </summary>
    public void Wake(bool inline = false)
    {
        if (!_pending || _ready)
            return;
        if (!TryGetResult(out var result, out var error))
            return;
        _readCancellation.Dispose();
        _readCancellation = default;
        Resume(result, error, inline);
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_readerCompleted)
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        if (_pending)
            throw new InvalidOperationException("Concurrent reads are not supported.");
        if (TryGetResult(out var result, out var error))
        {
            if (error is not null)
                return ValueTask.FromException<ReadResult>(error);
            return new ValueTask<ReadResult>(result);
        }
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        _pending = true;
        _ready = false;
        if (cancellationToken.CanBeCanceled)
            _readCancellation = cancellationToken.UnsafeRegister(static (s, token) => ((SimulatedReceivePipe)s!).CancelRead(token), this);
        return new ValueTask<ReadResult>(this, _version);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_readerCompleted)
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        if (TryGetResult(out result, out var error))
        {
            if (error is not null)
                throw error;
            return true;
        }
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_head is null)
            return;
        var segment = consumed.GetObject() as Segment ?? _head;
        int index = consumed.GetInteger();
        // Drop the segments before the consumed position.
        while (_head is not null && !ReferenceEquals(_head, segment))
            _head = (Segment?)_head.Next;
        if (_head is null)
            throw new InvalidOperationException("The consumed position is not in the buffer the last read returned.");
        _headIndex = index;
        while (_head is not null && _headIndex >= _head.Memory.Length && _head.Next is not null)
        {
            _head = (Segment)_head.Next;
            _headIndex = 0;
        }
        if (ReferenceEquals(_head, _tail) && _headIndex >= _tail!.Memory.Length)
        {
            _head = null;
            _tail = null;
            _headIndex = 0;
        }
        var examinedSegment = examined.GetObject() as Segment;
        _examinedAll = _head is null
            || (examinedSegment is not null && ReferenceEquals(examinedSegment, _tail) && examined.GetInteger() >= _tail!.Memory.Length);
    }

    public override void CancelPendingRead()
    {
        _cancelPending = true;
        Wake();
    }

    public override void Complete(Exception? exception = null)
    {
        _readerCompleted = true;
        _head = null;
        _tail = null;
        _headIndex = 0;
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token)
    {
        if (token != _version || !_ready)
            throw new InvalidOperationException("The read's result was already taken or is not ready.");
        var result = _result;
        var error = _resultError;
        _result = default;
        _resultError = null;
        _ready = false;
        _pending = false;
        _version++;
        if (error is not null)
            throw error;
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token)
    {
        if (token != _version)
            throw new InvalidOperationException("The read's result was already taken.");
        if (!_ready)
            return ValueTaskSourceStatus.Pending;
        return _resultError switch
        {
            null => ValueTaskSourceStatus.Succeeded,
            OperationCanceledException => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (token != _version)
            throw new InvalidOperationException("The read's result was already taken.");
        var context = (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? SynchronizationContext.Current : null;
        var executionContext = (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 ? ExecutionContext.Capture() : null;
        if (_ready)
        {
            Invoke(continuation, state, executionContext);
            return;
        }
        _continuation = continuation;
        _continuationState = state;
        _continuationContext = context;
        _continuationExecutionContext = executionContext;
    }

    private void CancelRead(CancellationToken token)
    {
        if (!_pending || _ready)
            return;
        _readCancellation = default;
        // The waiting read ends with the token's cancellation, as Pipe's does.
        Resume(default, new OperationCanceledException(token), inline: false);
    }

    /// <summary>Completes the waiting read and runs its continuation (inline on its own context, else posted there).</summary>
    private void Resume(ReadResult result, Exception? error, bool inline)
    {
        _ready = true;
        _result = result;
        _resultError = error;
        var continuation = _continuation;
        if (continuation is null)
            return;
        var state = _continuationState;
        var context = _continuationContext;
        var executionContext = _continuationExecutionContext;
        _continuation = null;
        _continuationState = null;
        _continuationContext = null;
        _continuationExecutionContext = null;
        if (inline && (context is null || context == SynchronizationContext.Current))
            Invoke(continuation, state, executionContext);
        else
            (context ?? _owner).Post(static s => { var (c, st, ec) = ((Action<object?>, object?, ExecutionContext?))s!; Invoke(c, st, ec); }, (continuation, state, executionContext));
    }

    private bool TryGetResult(out ReadResult result, out Exception? error)
    {
        error = null;
        if (_cancelPending)
        {
            _cancelPending = false;
            result = new ReadResult(CurrentBuffer(), isCanceled: true, isCompleted: _writerCompleted);
            return true;
        }
        if (_writerCompleted && _writerError is not null)
        {
            result = default;
            error = _writerError;
            return true;
        }
        if (_head is not null && !_examinedAll)
        {
            result = new ReadResult(CurrentBuffer(), isCanceled: false, isCompleted: _writerCompleted);
            return true;
        }
        if (_writerCompleted)
        {
            result = new ReadResult(CurrentBuffer(), isCanceled: false, isCompleted: true);
            return true;
        }
        result = default;
        return false;
    }

    private ReadOnlySequence<byte> CurrentBuffer() =>
        _head is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_head, _headIndex, _tail!, _tail!.Memory.Length);

    private static void Invoke(Action<object?> continuation, object? state, ExecutionContext? executionContext)
    {
        if (executionContext is null)
            continuation(state);
        else
            ExecutionContext.Run(executionContext, static s => { var (c, st) = ((Action<object?>, object?))s!; c(st); }, (continuation, state));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
