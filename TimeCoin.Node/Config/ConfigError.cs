namespace TimeCoin.Node.Config;

/// <summary>One problem found in a config file: where it is, which key, and what was wrong.</summary>
/// <param name="SourceName">The file (or other source) the text came from.</param>
/// <param name="Line">The 1-based line of the offending key, when known.</param>
/// <param name="Key">The dotted key (<c>p2p.max_inbound</c>), or null for a TOML syntax error.</param>
/// <param name="Message">What was wrong, e.g. <c>expected an integer from 0 to 10000, got "lots"</c>.</param>
public sealed record ConfigError(string SourceName, int? Line, string? Key, string Message)
{
    /// <summary>The error as one line: <c>config.toml:12: p2p.max_inbound: expected an integer ...</c>.</summary>
    public override string ToString()
    {
        var location = Line is { } line ? $"{SourceName}:{line}" : SourceName;
        return Key is null ? $"{location}: {Message}" : $"{location}: {Key}: {Message}";
    }
}
