using System.Diagnostics;
using System.Security.Cryptography;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Benchmarks;

/// <summary>The raw Ed25519 verify rate of this machine now: one thread, then every logical core at once.</summary>
/// <param name="SingleThread">Verifies per second on one thread.</param>
/// <param name="AllCores">Verifies per second summed over <paramref name="Threads"/> threads verifying at once.</param>
/// <param name="Threads">Threads used for <paramref name="AllCores"/> (the logical core count).</param>
/// <param name="CpuMicrosecondsPerVerify">Process CPU time per verification during the single-thread run: unlike the
/// rates, it hardly moves when other processes load the machine.</param>
public sealed record Ed25519Rate(double SingleThread, double AllCores, int Threads, double CpuMicrosecondsPerVerify)
{
    /// <summary>Measures both rates, each for about <paramref name="duration"/>, with a 152-byte message (a header's signing bytes).</summary>
    public static Ed25519Rate Measure(TimeSpan duration)
    {
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        long singleCount = 0;
        double single = VerifyFor(duration, ref singleCount);
        self.Refresh();
        double cpuPerVerify = (self.TotalProcessorTime - cpuBefore).TotalSeconds / singleCount * 1e6;
        int threads = Environment.ProcessorCount;
        var rates = new double[threads];
        var workers = new Thread[threads];
        using var start = new ManualResetEventSlim();
        for (int i = 0; i < threads; i++)
        {
            int index = i;
            workers[i] = new Thread(() =>
            {
                start.Wait();
                long count = 0;
                rates[index] = VerifyFor(duration, ref count);
            }) { IsBackground = true };
            workers[i].Start();
        }
        start.Set();
        foreach (var worker in workers)
            worker.Join();
        return new Ed25519Rate(single, rates.Sum(), threads, cpuPerVerify);
    }

    private static double VerifyFor(TimeSpan duration, ref long count)
    {
        using var key = KeyPair.FromPrivateKey(SHA256.HashData("bench verify"u8));
        var message = new byte[24 + 128];
        RandomNumberGenerator.Fill(message);
        var signature = key.Sign(message);
        var publicKey = key.PublicKey;
        for (int i = 0; i < 200; i++)
            publicKey.Verify(message, signature);
        count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            for (int i = 0; i < 100; i++)
            {
                if (!publicKey.Verify(message, signature))
                    throw new InvalidOperationException("A valid signature did not verify.");
            }
            count += 100;
        }
        return count / watch.Elapsed.TotalSeconds;
    }
}
