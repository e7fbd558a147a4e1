using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using TimeCoin.Cli;
using TimeCoin.Node.Alerts;
using TimeCoin.Node.Config;

namespace TimeCoin.Node.Tests.Docs;

/// <summary>
/// The operator docs checked against the code: every config key in docs/NETWORK_CONFIG.md is read by the loader and
/// every key the loader reads is documented; every alert in docs/TROUBLESHOOTING.md exists and every alert is
/// documented; every <c>time-cli</c> command line in the docs parses with time-cli's own command tree.
/// </summary>
public sealed partial class DocsTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void NetworkConfigDoc_EveryDocumentedKey_IsReadByTheLoader()
    {
        var unknown = DocumentedConfigKeys().Except(NodeConfigLoader.KnownKeys()).ToList();

        Assert.True(unknown.Count == 0, "docs/NETWORK_CONFIG.md documents keys the loader does not read: " + string.Join(", ", unknown));
    }

    [Fact]
    public void NetworkConfigDoc_EveryLoaderKey_IsDocumented()
    {
        var undocumented = NodeConfigLoader.KnownKeys().Except(DocumentedConfigKeys()).ToList();

        Assert.True(undocumented.Count == 0, "keys read by NodeConfigLoader but missing from docs/NETWORK_CONFIG.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void KnownKeys_EachKey_IsAcceptedByTheParserAsAKnownKey()
    {
        var keys = NodeConfigLoader.KnownKeys();
        Assert.Contains("network", keys);
        Assert.Contains("p2p.whitelisted_peers", keys);
        Assert.Contains("liveness.whitelisted_pong_timeout_secs", keys);

        foreach (var key in keys)
        {
            // A value of the wrong type for every kind of key: the error must name the key and not call it unknown.
            var dot = key.IndexOf('.');
            var text = dot < 0 ? $"{key} = {{ wrong = 1 }}\n" : $"[{key[..dot]}]\n{key[(dot + 1)..]} = {{ wrong = 1 }}\n";
            var errors = NodeConfigLoader.TryParse(text, "keys.toml", out _);

            var error = Assert.Single(errors);
            Assert.Equal(key, error.Key);
            Assert.DoesNotContain("unknown key", error.Message);
        }
    }

    [Fact]
    public void NetworkConfigDoc_AnUnknownKey_WouldBeReported()
    {
        // The documented-key check can fail: a made-up key is not among the loader's keys.
        Assert.DoesNotContain("p2p.max_inbond", NodeConfigLoader.KnownKeys());
        Assert.Contains("p2p.max_inbound", DocumentedConfigKeys());
    }

    [Fact]
    public void TroubleshootingDoc_EveryDocumentedAlert_Exists()
    {
        var unknown = DocumentedAlertCodes().Except(AlertCodesInCode()).ToList();

        Assert.True(unknown.Count == 0, "docs/TROUBLESHOOTING.md documents alerts the node does not have: " + string.Join(", ", unknown));
    }

    [Fact]
    public void TroubleshootingDoc_EveryAlertInCode_IsDocumented()
    {
        var codes = AlertCodesInCode();
        Assert.Contains("sync_lag", codes);

        var undocumented = codes.Except(DocumentedAlertCodes()).ToList();

        Assert.True(undocumented.Count == 0, "alerts missing from docs/TROUBLESHOOTING.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void Docs_EveryTimeCliCommand_Parses()
    {
        var commands = TimeCliCommandsInDocs();
        Assert.True(commands.Count >= 10, $"expected the docs to show at least 10 time-cli commands, found {commands.Count}");
        var root = CliApplication.Build(TextWriter.Null, TextWriter.Null);

        var failures = commands
            .Select(c => (c.Source, c.Line, Errors: root.Parse(c.Arguments).Errors))
            .Where(c => c.Errors.Count > 0)
            .Select(c => $"{c.Source}: `{c.Line}`: {string.Join("; ", c.Errors.Select(e => e.Message))}")
            .ToList();

        Assert.True(failures.Count == 0, "time-cli commands in the docs that do not parse:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Docs_AMistypedTimeCliCommand_DoesNotParse()
    {
        // The parse check can fail: a command or option time-cli does not have is a parse error.
        var root = CliApplication.Build(TextWriter.Null, TextWriter.Null);

        Assert.NotEmpty(root.Parse(Tokenize("get-blockchain-infos")!).Errors);
        Assert.NotEmpty(root.Parse(Tokenize("ban add 10.0.0.1 --duration 60")!).Errors);
    }

    /// <summary>Dotted keys (<c>p2p.listen</c>) of the tables under "## Keys" in docs/NETWORK_CONFIG.md.</summary>
    private static HashSet<string> DocumentedConfigKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Section(ReadDoc("docs/NETWORK_CONFIG.md"), "## Keys"))
        {
            var match = ConfigKeyRow().Match(line);
            if (match.Success)
            {
                keys.Add(match.Groups["section"].Success ? match.Groups["section"].Value + "." + match.Groups["key"].Value : match.Groups["key"].Value);
            }
        }

        return keys;
    }

    /// <summary>The <c>### `code`</c> headings under "## Alerts" in docs/TROUBLESHOOTING.md.</summary>
    private static HashSet<string> DocumentedAlertCodes() =>
        Section(ReadDoc("docs/TROUBLESHOOTING.md"), "## Alerts")
            .Select(line => AlertHeading().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["code"].Value)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Every alert time-node can raise: the codes of the one alert owner (<c>AlertCodes.All</c>).</summary>
    private static HashSet<string> AlertCodesInCode() => AlertCodes.All.ToHashSet(StringComparer.Ordinal);

    /// <summary>Every <c>time-cli ...</c> line inside a shell code block (<c>```sh</c>, <c>```bash</c>) of README.md and docs/*.md.</summary>
    private static List<(string Source, string Line, string[] Arguments)> TimeCliCommandsInDocs()
    {
        var files = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(RepoRoot, "docs"), "*.md")
            .Select(f => Path.GetRelativePath(RepoRoot, f)));
        var commands = new List<(string, string, string[])>();
        foreach (var file in files)
        {
            bool? inShellBlock = null; // null outside a block; otherwise whether the block is shell
            foreach (var line in ReadDoc(file))
            {
                var trimmed = line.Trim();
                if (trimmed.StartsWith("```", StringComparison.Ordinal))
                {
                    inShellBlock = inShellBlock is null ? trimmed[3..] is "sh" or "bash" or "shell" : null;
                    continue;
                }

                var inBlock = inShellBlock == true;

                if (inBlock && Tokenize(line) is { } tokens && CliArguments(tokens) is { } arguments)
                {
                    commands.Add((file, line.Trim(), arguments));
                }
            }
        }

        return commands;
    }

    /// <summary>The arguments after the <c>time-cli</c> program (optionally run with <c>sudo -u user</c> or by path), or null.</summary>
    private static string[]? CliArguments(string[] tokens)
    {
        var start = 0;
        if (tokens.Length > 0 && tokens[0] == "sudo")
        {
            start = tokens.Length > 2 && tokens[1] == "-u" ? 3 : 1;
        }

        return tokens.Length > start && Path.GetFileName(tokens[start]) == "time-cli" ? tokens[(start + 1)..] : null;
    }

    /// <summary>Splits a shell line into words (single and double quotes; a word starting with # ends the line).</summary>
    private static string[]? Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else if (c is ';' or '&' or '|' && !inWord)
            {
                break;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            tokens.Add(current.ToString());
        }

        return quote is null && tokens.Count > 0 ? [.. tokens] : null;
    }

    /// <summary>The lines from the heading <paramref name="heading"/> to the next heading of the same level.</summary>
    private static IEnumerable<string> Section(IReadOnlyList<string> lines, string heading)
    {
        var start = lines.ToList().FindIndex(l => l.TrimEnd() == heading);
        Assert.True(start >= 0, $"heading '{heading}' not found");
        var level = heading[..(heading.IndexOf(' ') + 1)];
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith(level, StringComparison.Ordinal));
    }

    private static IReadOnlyList<string> ReadDoc(string relativePath) => File.ReadAllLines(Path.Combine(RepoRoot, relativePath));

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TimeCoin.Net.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("TimeCoin.Net.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\| `(\[(?<section>[a-z0-9_]+)\] )?(?<key>[a-z_]+)` \|")]
    private static partial Regex ConfigKeyRow();

    [GeneratedRegex(@"^### `(?<code>[a-z0-9_]+)`")]
    private static partial Regex AlertHeading();
}
