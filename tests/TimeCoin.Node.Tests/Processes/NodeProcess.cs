using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using TimeCoin.Cli;

namespace TimeCoin.Node.Tests.Processes;

/// <summary>
/// A real <c>time-node</c> process (the built time-node.dll beside the tests, run by the dotnet host), with its
/// output kept for failure messages, driven through time-cli over its JSON-RPC port.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything the process printed so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>time-node</c> with <paramref name="args"/>.</summary>
    public static NodeProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts <c>time-node</c> with <paramref name="args"/> and these environment variables set.</summary>
    public static NodeProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            psi.Environment[name] = value;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "time-node.dll"));
        foreach (var arg in args)
            psi.ArgumentList.Add(arg);
        return new NodeProcess(Process.Start(psi)!);
    }

    /// <summary>Runs <c>time-node</c> to completion and returns its exit code and output.</summary>
    public static Task<(int Exit, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs <c>time-node</c> to completion with these environment variables set.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = Start(environment, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process._process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, process.Output);
    }

    /// <summary>Waits for the process to exit on its own.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The first of <paramref name="count"/> consecutive TCP ports free on 127.0.0.1 now, below the kernel's ephemeral
    /// range (32768 and up on Linux), so no client socket of another test takes one of them before the node binds it
    /// (a late process binds its ports seconds after this check).
    /// </summary>
    public static int FreePortBlock(int count)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int first = Random.Shared.Next(20_000, 32_000 - count) / 2 * 2;
            var listeners = new List<TcpListener>();
            try
            {
                for (int port = first; port < first + count; port++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    listeners.Add(listener);
                }
                return first;
            }
            catch (SocketException)
            {
            }
            finally
            {
                foreach (var listener in listeners)
                    listener.Stop();
            }
        }
        throw new InvalidOperationException($"No {count} consecutive free ports found below 32000.");
    }

    /// <summary>
    /// A TCP port free on 127.0.0.1 right now, from the kernel's ephemeral range: only for a bind that follows at once
    /// in this process. A port that a child process binds later comes from <see cref="FreePortBlock"/>.
    /// </summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs time-cli against the node at <paramref name="rpcPort"/> with the cookie of <paramref name="dataDir"/>.</summary>
    public static async Task<(int Exit, string Out, string Err)> Cli(int rpcPort, string dataDir, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] all = ["--rpc-url", $"http://127.0.0.1:{rpcPort}/", "--datadir", dataDir, .. args];
        int exit = await CliApplication.RunAsync(all, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Polls time-cli until it answers <paramref name="args"/> with exit 0 and the answer satisfies <paramref name="accept"/>.</summary>
    public static async Task<JsonNode> CliUntil(int rpcPort, string dataDir, Func<JsonNode, bool> accept, TimeSpan timeout, Func<string> describe, params string[] args)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var (exit, output, error) = await Cli(rpcPort, dataDir, args);
            last = exit == 0 ? output : error;
            if (exit == 0 && JsonNode.Parse(output) is { } answer && accept(answer))
                return answer;
            await Task.Delay(250);
        }
        throw new Xunit.Sdk.XunitException($"time-cli {string.Join(' ', args)} on port {rpcPort} did not give the expected answer in {timeout}; last: {last}\n{describe()}");
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
