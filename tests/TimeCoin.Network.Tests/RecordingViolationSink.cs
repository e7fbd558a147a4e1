using System.Collections.Concurrent;
using System.Net;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Tests;

internal sealed class RecordingViolationSink : IViolationSink
{
    private readonly ConcurrentQueue<(IPAddress Remote, ProtocolError Error)> _records = new();

    public IReadOnlyList<(IPAddress Remote, ProtocolError Error)> Records => _records.ToArray();

    public void Record(IPAddress remote, ProtocolError error) => _records.Enqueue((remote, error));
}
