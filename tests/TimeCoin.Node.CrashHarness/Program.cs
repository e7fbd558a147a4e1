using TimeCoin.Node.CrashHarness;
using TimeCoin.Node.Storage;

// usage: TimeCoin.Node.CrashHarness <datadir> <target-height> <seed>
// Imports the deterministic chain up to target-height, one committed block at a time, printing
// "accepted <height> <hash>" after each commit. The crash test kills it at random points.
if (args.Length != 3 || !long.TryParse(args[1], out var target))
{
    Console.Error.WriteLine("usage: TimeCoin.Node.CrashHarness <datadir> <target-height> <seed>");
    return 2;
}
using var chain = new DeterministicChain(args[2]);
using var db = NodeDatabase.Open(args[0]);
var store = ChainStore.Open(db, chain.Parameters);
var stdout = Console.Out;
stdout.WriteLine($"start {store.State.Height}");
stdout.Flush();
while (store.State.Height < target)
{
    var block = chain.Next(store.State.Tip);
    var result = store.Add(block, chain.ClockFor(block));
    if (!result.TipChanged)
    {
        Console.Error.WriteLine($"block {block.Header.Height} not accepted: {result}");
        return 1;
    }
    stdout.WriteLine($"accepted {block.Header.Height} {block.Hash}");
    stdout.Flush();
}
stdout.WriteLine("done");
return 0;
