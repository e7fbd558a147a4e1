namespace TimeCoin.Benchmarks;

/// <summary>Entry point: <c>chain</c> (validate+store), <c>sync</c> (catch-up over loopback TCP), <c>idle</c> (idle peers), <c>ibd</c> (initial block download at scale) and <c>announce</c> (masternode announcements).</summary>
public static class Program
{
    /// <summary>Runs the benchmark named by the first argument (<c>idle-clients</c> and <c>ibd-node</c> are the child processes of <c>idle</c> and <c>ibd</c>).</summary>
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
            case "ibd":
                return IbdBenchmark.Run(rest, Console.Out, Console.Error);
            case "ibd-node":
                return IbdBenchmark.RunNode(rest, Console.Out, Console.Error);
            case "announce":
                return AnnouncementBenchmark.Run(rest, Console.Out, Console.Error);
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
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks ibd [--blocks N] [--payload BYTES] [--peers N] [--cache DIR] [--node PATH]");
                Console.Error.WriteLine("  ibd    an empty node in a child process catches up N blocks (default 1000000, 1 KiB payload) from N peers");
                Console.Error.WriteLine("         (default 4): blocks/s, CPU per block, resident memory at every tenth and at its peak. The source");
                Console.Error.WriteLine("         chain is built once into DIR (default under the temp directory) and reused by later runs.");
                Console.Error.WriteLine("         With --node PATH the syncing node is that time-node executable (an installed tool, a published or built");
                Console.Error.WriteLine("         time-node, or time-node.dll) run as 'start --config FILE' and watched from outside: the operator's start-up.");
                Console.Error.WriteLine("usage: TimeCoin.Benchmarks announce [--announcements N]");
                Console.Error.WriteLine("  announce  N signed announcements of made-up masternodes (default 10000) from one peer over loopback");
                Console.Error.WriteLine("            TCP: announcements the node takes per second while its address book fills to its cap.");
                return 2;
        }
    }
}
