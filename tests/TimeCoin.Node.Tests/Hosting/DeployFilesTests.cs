using System.Diagnostics;

namespace TimeCoin.Node.Tests.Hosting;

public class DeployFilesTests
{
    private static (int Exit, string Output) Verify(string unitPath)
    {
        var psi = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("verify");
        psi.ArgumentList.Add(unitPath);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    private static bool HasSystemdAnalyze() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "systemd-analyze")));

    [SkippableFact]
    public void SystemdUnit_SystemdAnalyzeVerify_ReportsNothing()
    {
        Skip.IfNot(HasSystemdAnalyze(), "systemd-analyze is not installed");
        var unit = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "deploy", "time-node.service"));
        Assert.Contains("ExecStart=/opt/timecoin/time-node start ", unit);
        Assert.Contains("Type=notify", unit);
        var dir = Directory.CreateTempSubdirectory("timecoin-unit-");
        try
        {
            // verify also checks that ExecStart's binary exists; on this machine time-node is not installed there.
            var path = Path.Combine(dir.FullName, "time-node.service");
            File.WriteAllText(path, unit.Replace("/opt/timecoin/time-node", "/bin/true", StringComparison.Ordinal));
            var (exit, output) = Verify(path);
            Assert.True(exit == 0 && !output.Contains("time-node.service", StringComparison.Ordinal), output);

            // The check can fail: a misspelt key is reported.
            File.WriteAllText(path, unit.Replace("/opt/timecoin/time-node", "/bin/true", StringComparison.Ordinal).Replace("Restart=", "Restrat=", StringComparison.Ordinal));
            Assert.Contains("Restrat", Verify(path).Output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
