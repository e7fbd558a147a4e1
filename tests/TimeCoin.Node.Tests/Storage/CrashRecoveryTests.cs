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
        const long target = 1_500;
        long lastAccepted = 0;
        var acceptedHashes = new Dictionary<long, Hash256>();

        for (int round = 0; round < 8; round++)
        {
            int killAfter = random.Next(20, 150);
            var (lines, exited) = await RunImporterAsync(dir.Path, target, killAfterAccepted: killAfter);
            Assert.False(exited, $"round {round}: the importer finished before it could be killed");
            foreach (var (height, hash) in lines)
            {
                acceptedHashes[height] = hash;
                lastAccepted = Math.Max(lastAccepted, height);
            }
            AssertConsistent(dir.Path, lastAccepted, acceptedHashes);
        }

        var (finalLines, finished) = await RunImporterAsync(dir.Path, target, killAfterAccepted: null);
        Assert.True(finished);
        foreach (var (height, hash) in finalLines)
            acceptedHashes[height] = hash;
        AssertConsistent(dir.Path, target, acceptedHashes);
    }

    private static void AssertConsistent(string dataDir, long atLeast, Dictionary<long, Hash256> accepted)
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
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (!line.StartsWith("accepted ", StringComparison.Ordinal))
                continue;
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
            Assert.True(process.ExitCode == 0, $"importer failed ({process.ExitCode}): {await stderr}");
        return (accepted, !killed);
    }
}
