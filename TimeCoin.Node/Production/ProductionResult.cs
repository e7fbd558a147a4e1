using TimeCoin.Core.Chain;

namespace TimeCoin.Node.Production;

/// <summary>The outcome of handling one slot.</summary>
/// <param name="Slot">The slot handled.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Block">The block produced, when <see cref="ProductionOutcome.Produced"/>.</param>
/// <param name="Message">A readable explanation for logs and RPC.</param>
public sealed record ProductionResult(ulong Slot, ProductionOutcome Outcome, Block? Block, string Message);
