namespace TimeCoin.Core.Chain;

/// <summary>
/// One run of <see cref="ParallelBlockVerifier"/> over a list of blocks (or headers): worker threads take the next
/// unclaimed item in order; <see cref="WaitFor"/> returns once item i is done, and while it waits the caller's thread
/// takes items too, so no core idles while there is work. After an item fails (it will be rejected) no new items are
/// taken: the rest are left to the sequential path.
/// </summary>
internal sealed class BlockVerificationRun
{
    /// <summary>A run that does nothing ahead (parallelism 1): <see cref="WaitFor"/> returns at once.</summary>
    internal static readonly BlockVerificationRun Inline = new();

    private readonly ParallelBlockVerifier? _verifier;
    private readonly IReadOnlyList<Block>? _blocks;
    private readonly IReadOnlyList<BlockHeader>? _headers;
    private readonly int[] _done;
    private int _next;
    private int _stopped;

    private BlockVerificationRun()
    {
        _done = [];
    }

    internal BlockVerificationRun(ParallelBlockVerifier verifier, IReadOnlyList<Block> blocks, int workers)
    {
        _verifier = verifier;
        _blocks = blocks;
        _done = new int[blocks.Count];
        StartWorkers(workers);
    }

    internal BlockVerificationRun(ParallelBlockVerifier verifier, IReadOnlyList<BlockHeader> headers, int workers)
    {
        _verifier = verifier;
        _headers = headers;
        _done = new int[headers.Count];
        StartWorkers(workers);
    }

    /// <summary>Returns when item <paramref name="index"/> has been checked, helping with the remaining items meanwhile.</summary>
    public void WaitFor(int index)
    {
        if (_verifier is null)
            return;
        var spin = new SpinWait();
        while (Volatile.Read(ref _done[index]) == 0)
        {
            if (Volatile.Read(ref _stopped) != 0 && Volatile.Read(ref _next) <= index)
                return; // stopped at a bad item before this one was taken: the sequential path checks it inline
            if (TryClaim(out int item))
            {
                Process(item);
                continue;
            }
            spin.SpinOnce(); // a worker has it; it finishes in about one signature verification
        }
    }

    /// <summary>Returns when every item has been checked.</summary>
    public void WaitForAll()
    {
        for (int i = 0; i < _done.Length; i++)
            WaitFor(i);
    }

    private void StartWorkers(int workers)
    {
        // Thread-pool work lives only here, behind ParallelBlockVerifier.Parallelism > 1 (1 never gets here).
        for (int i = 0; i < workers; i++)
            ThreadPool.UnsafeQueueUserWorkItem(static run => run.Work(), this, preferLocal: false);
    }

    private void Work()
    {
        while (TryClaim(out int item))
            Process(item);
    }

    private bool TryClaim(out int item)
    {
        if (Volatile.Read(ref _stopped) != 0 || Volatile.Read(ref _next) >= _done.Length)
        {
            item = -1;
            return false;
        }
        item = Interlocked.Increment(ref _next) - 1;
        return item < _done.Length;
    }

    private void Process(int item)
    {
        bool good = _blocks is not null ? _verifier!.Prepare(_blocks[item]) : _verifier!.PrepareHeader(_headers![item]);
        if (!good)
            Volatile.Write(ref _stopped, 1);
        Volatile.Write(ref _done[item], 1);
    }
}
