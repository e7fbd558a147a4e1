namespace TimeCoin.Benchmarks;

/// <summary>Entry point: <c>chain</c> (validate+store), <c>sync</c> (catch-up over loopback TCP) and <c>idle</c> (idle peers).</summary>
public static class Program
{
    /// <summary>Runs the benchmark named by the first argument (<c>idle-clients</c> is the child process of <c>idle</c>).</summary>
    public static int Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "";
        var rest = args.Skip(1).ToArray();
        switch (command)
        {
            case "chain":
                return ChainBenchmark.Run(rest, Console.Out, Console.Error);
            case "sync":
                return SyncBenchmark.Run(rest, Console.Out, Console.Error);
            case "idle":
                return IdlePeersBenchmark.Run(rest, Console.Out, Console.Error);
            case "idle-clients":
                return IdlePeersBenchmark.RunClients(rest, Console.Out, Console.Error);
            default:
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks chain [--blocks N] [--batch N] [--payload BYTES] [--parallelism N] [--datadir DIR]");
                Console.Error.WriteLine("  chain  validate+store N blocks (default 100000, 1 KiB payload) through ChainStore.AddBatch,");
                Console.Error.WriteLine("         beside the raw Ed25519 verify rate of this machine.");
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks sync [--blocks N] [--batch N] [--payload BYTES] [--peers 1,4] [--datadir DIR]");
                Console.Error.WriteLine("  sync   an empty node catches up N blocks (default 100000, 1 KiB payload) over loopback TCP from");
                Console.Error.WriteLine("         one peer, then four; beside the raw validate+store rate measured in the same process.");
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks idle [--peers N] [--idle-seconds S] [--warmup N]");
                Console.Error.WriteLine("  idle   N idle handshaken peers (default 1000, from a child process) on one node: resident memory per");
                Console.Error.WriteLine("         peer and CPU per idle peer per minute (idle window S seconds, default 60).");
                return 2;
        }
    }
}
