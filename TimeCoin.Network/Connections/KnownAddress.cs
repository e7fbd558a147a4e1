using System.Net;
using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Connections;

/// <summary>One dialable address and its reconnection state. Guarded by the manager's lock.</summary>
internal sealed class KnownAddress(IPEndPoint endPoint, AddressSource source, DateTimeOffset added)
{
    public IPEndPoint EndPoint { get; } = endPoint;

    public AddressSource Source { get; set; } = source;

    public DateTimeOffset AddedAt { get; } = added;

    public int Failures { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; } = added;

    /// <summary>A dial or a connection from this address is in progress; cleared when it ends, whatever happened.</summary>
    public bool Busy { get; set; }

    public PublicKey? NodeId { get; set; }

    public DateTimeOffset? LastConnectedAt { get; set; }

    public string? LastError { get; set; }
}
