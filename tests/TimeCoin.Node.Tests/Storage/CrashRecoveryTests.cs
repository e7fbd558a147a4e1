using System.Diagnostics;
using TimeCoin.Core.Crypto;
using TimeCoin.Node.CrashHarness;
using TimeCoin.Node.Storage;

namespace TimeCoin.Node.Tests.Storage;

/// <summary>
/// Kills (SIGKILL) a process that is importing blocks, again and again at random moments, and checks that each
/// restart finds a consistent chain holding every block the process had reported as accepted.
/// </summary>
public class CrashRecoveryTests
{
    private const string Seed = "crash-test";

    [Fact]
    public async Task Import_KilledRepeatedly_RestartsConsistentWithNoAcceptedBlockLost()
    {
        using var dir = new TempDirectory();
        var random = new Random(20261124);
        // Far beyond what a round can reach: the importer runs ahead of what the test has read from its output
        // before the kill lands, so a killed round must never be able to finish.
        const long unreachable = 10_000_000;
        long lastAccepted = 0;
        var acceptedHashes = new Dictionary<long, Hash256>();
        long restartedAt = 0;

        for (int round = 0; round < 8; round++)
        {
            int killAfter = random.Next(20, 150);
            var (lines, exited) = await RunImporterAsync(dir.Path, unreachable, killAfterAccepted: killAfter);
            Assert.False(exited, $"round {round}: the importer finished before it could be killed");
            foreach (var (height, hash) in lines)
            {
                acceptedHashes[height] = hash;
                lastAccepted = Math.Max(lastAccepted, height);
            }
            restartedAt = AssertConsistent(dir.Path, lastAccepted, acceptedHashes);
        }

        long target = restartedAt + 200;
        var (finalLines, finished) = await RunImporterAsync(dir.Path, target, killAfterAccepted: null);
        Assert.True(finished);
        Assert.Equal(200, finalLines.Count);
        foreach (var (height, hash) in finalLines)
            acceptedHashes[height] = hash;
        AssertConsistent(dir.Path, target, acceptedHashes);
    }

    private static long AssertConsistent(string dataDir, long atLeast, Dictionary<long, Hash256> accepted)
    {
        using var chain = new DeterministicChain(Seed);
        using var db = NodeDatabase.Open(dataDir);
        var store = ChainStore.Open(db, chain.Parameters); // validates every parent link while loading
        Assert.True(store.State.Height >= atLeast, $"restart found height {store.State.Height}, but {atLeast} had been reported accepted");
        foreach (var (height, hash) in accepted)
            Assert.Equal(hash, store.State.GetHashAtHeight(height));
        for (long h = 1; h <= store.State.Height; h++)
        {
            var header = store.State.GetHeaderAtHeight(h)!;
            Assert.Equal(store.State.GetHashAtHeight(h - 1), header.PreviousHash);
            Assert.NotNull(db.GetBlockBody(header.Hash));
        }
        return store.State.Height;
    }

    private static async Task<(List<(long Height, Hash256 Hash)> Accepted, bool Exited)> RunImporterAsync(
        string dataDir, long target, int? killAfterAccepted)
    {
        var harness = Path.Combine(AppContext.BaseDirectory, "TimeCoin.Node.CrashHarness.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { harness, dataDir, target.ToString(System.Globalization.CultureInfo.InvariantCulture), Seed })
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var accepted = new List<(long, Hash256)>();
        var other = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (!line.StartsWith("accepted ", StringComparison.Ordinal))
            {
                other.Add(line);
                continue;
            }
            var parts = line.Split(' ');
            accepted.Add((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Hash256.Parse(parts[2])));
            if (killAfterAccepted is { } n && accepted.Count >= n)
            {
                process.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no dispose.
                break;
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        bool killed = killAfterAccepted is not null && accepted.Count >= killAfterAccepted;
        if (!killed)
            Assert.True(process.ExitCode == 0 && killAfterAccepted is null,
                $"importer exited by itself ({process.ExitCode}) after {accepted.Count} blocks: {string.Join(" | ", other)} {await stderr}");
        return (accepted, !killed);
    }
}
