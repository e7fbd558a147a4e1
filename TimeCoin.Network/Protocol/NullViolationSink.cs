using System.Net;

namespace TimeCoin.Network.Protocol;

/// <summary>An <see cref="IViolationSink"/> that ignores everything (for tools and tests that do not keep a policy).</summary>
internal sealed class NullViolationSink : IViolationSink
{
    /// <summary>The shared instance.</summary>
    public static NullViolationSink Instance { get; } = new();

    private NullViolationSink()
    {
    }

    /// <inheritdoc />
    public void Record(IPAddress remote, ProtocolError error)
    {
    }
}
