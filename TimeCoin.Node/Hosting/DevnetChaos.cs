namespace TimeCoin.Node.Hosting;

/// <summary>
/// <c>time-node devnet --chaos</c>: every 5–10 s one fault, in turn: a node is killed and restarted on its data
/// directory, a link between two nodes stalls, or the network is split in two for a while and then healed. Each
/// fault is reported when it starts and when it ends, so the table shows the network break and heal. Seeded: the
/// same seed gives the same faults in the same order.
/// </summary>
internal sealed class DevnetChaos(Devnet devnet, DevnetLinks links, int seed, Action<string> report)
{
    private readonly Random _random = new(seed);

    /// <summary>Injects faults until <paramref name="until"/> (wall clock) or cancellation; leaves every node up and every link healed.</summary>
    public async Task RunAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        int n = devnet.Nodes.Count;
        if (n < 2)
        {
            report("chaos: needs at least 2 nodes; off");
            return;
        }
        int next = _random.Next(3);
        try
        {
            while (DateTimeOffset.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromSeconds(_random.Next(5, 11)), cancellationToken);
                if (DateTimeOffset.UtcNow >= until)
                    break;
                switch (next++ % 3)
                {
                    case 0: await KillAndRestartAsync(PickUp(), TimeSpan.FromSeconds(_random.Next(4, 9)), cancellationToken); break;
                    case 1: await StallAsync(TimeSpan.FromSeconds(_random.Next(8, 15)), cancellationToken); break;
                    default: await PartitionAsync(TimeSpan.FromSeconds(_random.Next(12, 21)), cancellationToken); break;
                }
            }
        }
        finally
        {
            // Whatever happens, the devnet is left whole.
            links.SetPartition(null);
            foreach (var (a, b) in links.StalledLinks.ToList())
                links.SetStalled(a, b, false);
            for (int i = 0; i < n && !cancellationToken.IsCancellationRequested; i++)
                if (devnet.Nodes[i] is null && devnet.HasStarted(i))
                    await devnet.RestartNodeAsync(i, CancellationToken.None);
        }
    }

    /// <summary>Stops node <paramref name="index"/>, waits <paramref name="downFor"/>, starts it again.</summary>
    public async Task KillAndRestartAsync(int index, TimeSpan downFor, CancellationToken cancellationToken)
    {
        if (index < 0)
            return;
        report($"chaos: node {index} killed for {downFor.TotalSeconds:0} s");
        await devnet.StopNodeAsync(index);
        await Task.Delay(downFor, cancellationToken);
        await devnet.RestartNodeAsync(index, cancellationToken);
        report($"chaos: node {index} restarted, catching up");
    }

    /// <summary>Stalls a random link between two running nodes for <paramref name="duration"/>.</summary>
    public async Task StallAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var up = Up();
        if (up.Count < 2)
            return;
        int a = up[_random.Next(up.Count)];
        int b = up.Where(i => i != a).ElementAt(_random.Next(up.Count - 1));
        links.SetStalled(a, b, true);
        report($"chaos: link {Math.Min(a, b)}<->{Math.Max(a, b)} stalled for {duration.TotalSeconds:0} s");
        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            links.SetStalled(a, b, false);
        }
        report($"chaos: link {Math.Min(a, b)}<->{Math.Max(a, b)} released");
    }

    /// <summary>Splits the nodes into two random non-empty groups for <paramref name="duration"/>, then heals.</summary>
    public async Task PartitionAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        int n = devnet.Nodes.Count;
        var order = Enumerable.Range(0, n).OrderBy(_ => _random.Next()).ToList();
        int cut = Math.Max(1, n / 2);
        var group = new int[n];
        foreach (var i in order.Skip(cut))
            group[i] = 1;
        await PartitionAsync(group, duration, cancellationToken);
    }

    /// <summary>Partitions by <paramref name="group"/> for <paramref name="duration"/>, then heals.</summary>
    public async Task PartitionAsync(int[] group, TimeSpan duration, CancellationToken cancellationToken)
    {
        string Side(int g) => "{" + string.Join(",", Enumerable.Range(0, group.Length).Where(i => group[i] == g)) + "}";
        links.SetPartition(group);
        report($"chaos: network partitioned {Side(0)} | {Side(1)} for {duration.TotalSeconds:0} s");
        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            links.SetPartition(null);
        }
        report("chaos: partition healed; the two sides reconnect and converge on one chain");
    }

    private List<int> Up() => Enumerable.Range(0, devnet.Nodes.Count).Where(i => devnet.Nodes[i] is not null).ToList();

    private int PickUp()
    {
        var up = Up();
        return up.Count == 0 ? -1 : up[_random.Next(up.Count)];
    }
}
