namespace TimeCoin.Core.Chain;

/// <summary>
/// The outcome of <see cref="ChainState.TryAdd"/>. For <see cref="BlockAddStatus.Extended"/> and
/// <see cref="BlockAddStatus.Reorganized"/> it carries exactly what storage must apply in one transaction: remove
/// <see cref="Disconnected"/> from the active index, add <see cref="Connected"/>, move the tip to the last connected.
/// </summary>
public sealed class BlockAddResult
{
    private static readonly BlockHeader[] None = [];

    private BlockAddResult(BlockAddStatus status, BlockHeader header, BlockRejectionReason reason, string message,
        IReadOnlyList<BlockHeader> disconnected, IReadOnlyList<BlockHeader> connected, long forkHeight)
    {
        Status = status;
        Header = header;
        Reason = reason;
        Message = message;
        Disconnected = disconnected;
        Connected = connected;
        ForkHeight = forkHeight;
    }

    /// <summary>What happened.</summary>
    public BlockAddStatus Status { get; }

    /// <summary>The offered block's header.</summary>
    public BlockHeader Header { get; }

    /// <summary>The broken rule when <see cref="Status"/> is <see cref="BlockAddStatus.Rejected"/>, otherwise None.</summary>
    public BlockRejectionReason Reason { get; }

    /// <summary>A readable explanation (the rejection message, or a short description).</summary>
    public string Message { get; }

    /// <summary>Blocks that left the active chain, old tip first (empty unless reorganized).</summary>
    public IReadOnlyList<BlockHeader> Disconnected { get; }

    /// <summary>Blocks that joined the active chain, lowest first, ending with the new tip (empty unless extended or reorganized).</summary>
    public IReadOnlyList<BlockHeader> Connected { get; }

    /// <summary>Height of the last block shared by the block's branch and the active chain; -1 when not known
    /// (rejected before linking, orphan, already known).</summary>
    public long ForkHeight { get; }

    /// <summary>True when the tip moved (extended or reorganized).</summary>
    public bool TipChanged => Status is BlockAddStatus.Extended or BlockAddStatus.Reorganized;

    internal static BlockAddResult Rejected(BlockHeader header, BlockRejectionReason reason, string message, long forkHeight = -1) =>
        new(BlockAddStatus.Rejected, header, reason, message, None, None, forkHeight);

    internal static BlockAddResult AlreadyKnown(BlockHeader header) =>
        new(BlockAddStatus.AlreadyKnown, header, BlockRejectionReason.None, "already known", None, None, -1);

    internal static BlockAddResult Orphan(BlockHeader header) =>
        new(BlockAddStatus.Orphan, header, BlockRejectionReason.None, $"parent {header.PreviousHash} is unknown", None, None, -1);

    internal static BlockAddResult SideBranch(BlockHeader header, long forkHeight) =>
        new(BlockAddStatus.SideBranch, header, BlockRejectionReason.None, $"stored on a side branch forking at height {forkHeight}", None, None, forkHeight);

    internal static BlockAddResult Extended(BlockHeader header) =>
        new(BlockAddStatus.Extended, header, BlockRejectionReason.None, "extended the active chain", None, [header], header.Height - 1);

    internal static BlockAddResult Reorganized(BlockHeader header, IReadOnlyList<BlockHeader> disconnected, IReadOnlyList<BlockHeader> connected, long forkHeight) =>
        new(BlockAddStatus.Reorganized, header, BlockRejectionReason.None,
            $"reorganized at height {forkHeight}: {disconnected.Count} disconnected, {connected.Count} connected", disconnected, connected, forkHeight);

    /// <inheritdoc />
    public override string ToString() => Status == BlockAddStatus.Rejected ? $"Rejected({Reason}): {Message}" : $"{Status}: {Message}";
}
