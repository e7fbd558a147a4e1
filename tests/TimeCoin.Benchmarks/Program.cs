namespace TimeCoin.Benchmarks;

/// <summary>Entry point: <c>chain</c> (validate+store) today; <c>sync</c> is reserved for the sync benchmark.</summary>
public static class Program
{
    /// <summary>Runs the benchmark named by the first argument.</summary>
    public static int Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "";
        var rest = args.Skip(1).ToArray();
        switch (command)
        {
            case "chain":
                return ChainBenchmark.Run(rest, Console.Out, Console.Error);
            default:
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks chain [--blocks N] [--batch N] [--payload BYTES] [--datadir DIR]");
                Console.Error.WriteLine("  chain  validate+store N blocks (default 100000, 1 KiB payload) through ChainStore.AddBatch,");
                Console.Error.WriteLine("         beside the raw Ed25519 verify rate of this machine.");
                return 2;
        }
    }
}
