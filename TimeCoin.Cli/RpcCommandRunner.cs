using System.CommandLine;
using System.Text.Json.Nodes;

namespace TimeCoin.Cli;

/// <summary>Wires commands to RPC calls: resolves URL and credentials from the global options, calls, prints, maps exit codes.</summary>
internal sealed class RpcCommandRunner
{
    private readonly GlobalOptions _globals;
    private readonly TextWriter _output;
    private readonly TextWriter _error;

    public RpcCommandRunner(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        _globals = globals;
        _output = output;
        _error = error;
    }

    /// <summary>A command without arguments that calls <paramref name="method"/>.</summary>
    public Command Simple(string name, string method, string description)
    {
        var command = new Command(name, description);
        Bind(command, method, _ => []);
        return command;
    }

    /// <summary>Makes <paramref name="command"/> call <paramref name="method"/> with the parameters built from the parse result.</summary>
    public void Bind(Command command, string method, Func<ParseResult, JsonObject> parameters) =>
        Bind(command, _ => method, parameters);

    /// <summary>Makes <paramref name="command"/> call the method chosen from the parse result.</summary>
    public void Bind(Command command, Func<ParseResult, string> method, Func<ParseResult, JsonObject> parameters) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, method, parameters, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<ParseResult, string> method, Func<ParseResult, JsonObject> buildParameters, CancellationToken cancellationToken)
    {
        var network = parse.GetValue(_globals.Network)!;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var urlText = parse.GetValue(_globals.RpcUrl) ?? $"http://127.0.0.1:{CliNetworkDefaults.RpcPort(network)}/";
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            await _error.WriteLineAsync($"error: --rpc-url must be an http:// URL, got '{urlText}'").ConfigureAwait(false);
            return CliApplication.ExitRpcError;
        }

        JsonObject parameters;
        try
        {
            parameters = buildParameters(parse);
        }
        catch (ArgumentException e)
        {
            await _error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return CliApplication.ExitRpcError;
        }

        try
        {
            var credentials = ResolveCredentials(parse, network, home);
            using var client = new RpcClient(url, credentials, TimeSpan.FromSeconds(parse.GetValue(_globals.Timeout)));
            var result = await client.CallAsync(method(parse), parameters, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_globals.Format) == "table")
                TableWriter.Write(result, _output);
            else
                CliApplication.WriteResult(result, _output);
            return CliApplication.ExitOk;
        }
        catch (RpcCallException e)
        {
            await _error.WriteLineAsync($"error {e.Code}: {e.Message}").ConfigureAwait(false);
            return CliApplication.ExitRpcError;
        }
        catch (NodeUnreachableException e)
        {
            await _error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return CliApplication.ExitUnreachable;
        }
    }

    private string ResolveCredentials(ParseResult parse, string network, string home)
    {
        var user = parse.GetValue(_globals.RpcUser);
        var password = parse.GetValue(_globals.RpcPassword);
        if (user is not null || password is not null)
        {
            return (user ?? "") + ":" + (password ?? "");
        }

        var dataDir = parse.GetValue(_globals.DataDir) ?? CliNetworkDefaults.DataDir(network, home);
        if (dataDir.StartsWith("~/", StringComparison.Ordinal))
        {
            dataDir = Path.Combine(home, dataDir[2..]);
        }

        var cookiePath = Path.Combine(dataDir, ".cookie");
        try
        {
            return File.ReadAllText(cookiePath).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeUnreachableException(
                $"cannot read the RPC cookie at {cookiePath}: {e.Message}\n" +
                "is time-node running with this data directory (--datadir, --network) and are you its user? " +
                "Otherwise pass --rpc-user and --rpc-password.", e);
        }
    }
}
