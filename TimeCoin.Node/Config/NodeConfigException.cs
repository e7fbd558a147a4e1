namespace TimeCoin.Node.Config;

/// <summary>Thrown when a config file cannot be used; carries every problem found, not just the first.</summary>
public sealed class NodeConfigException : Exception
{
    /// <summary>Creates the exception from the problems found (at least one).</summary>
    /// <param name="errors">The problems, in file order.</param>
    public NodeConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }
}
