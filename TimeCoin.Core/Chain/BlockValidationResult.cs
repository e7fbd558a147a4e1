namespace TimeCoin.Core.Chain;

/// <summary>The verdict of <see cref="BlockValidator"/>: valid, or the rule that failed with a readable message.</summary>
public readonly record struct BlockValidationResult
{
    private BlockValidationResult(BlockRejectionReason reason, string message)
    {
        Reason = reason;
        Message = message;
    }

    /// <summary>The valid verdict.</summary>
    public static BlockValidationResult Valid { get; } = new(BlockRejectionReason.None, "valid");

    /// <summary>A rejection for <paramref name="reason"/>.</summary>
    public static BlockValidationResult Reject(BlockRejectionReason reason, string message) => new(reason, message);

    /// <summary>True when every rule held.</summary>
    public bool IsValid => Reason == BlockRejectionReason.None;

    /// <summary>The failed rule, or <see cref="BlockRejectionReason.None"/>.</summary>
    public BlockRejectionReason Reason { get; }

    /// <summary>What was wrong, with the values involved.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => IsValid ? "valid" : $"{Reason}: {Message}";
}
