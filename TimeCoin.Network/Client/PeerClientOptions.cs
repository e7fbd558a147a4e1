using TimeCoin.Core.Crypto;
using TimeCoin.Network.Transport;

namespace TimeCoin.Network.Client;

/// <summary>Settings for <see cref="PeerClient"/>. Every wait the client does is bounded by one of these.</summary>
public sealed record PeerClientOptions
{
    /// <summary>The dial must succeed within this. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The whole handshake (both versions and both signed acknowledgements) must finish within this. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each request (<see cref="PeerClient.GetPeersAsync"/>, <see cref="PeerClient.GetMasternodesAsync"/>,
    /// <see cref="PeerClient.GetBestHeightAsync"/>) must be answered within this. Each reply the client writes to the
    /// node (a pong, an empty answer to its requests) must be taken within this too, or the client closes the
    /// connection. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="PeerClient.CloseAsync"/> waits to send the goodbye before it closes anyway. Default 2 s.</summary>
    public TimeSpan GoodbyeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Block announcements kept for <see cref="PeerClient.Announcements"/>; when the reader falls behind, the oldest
    /// is dropped (the client never grows a queue). Default 256.
    /// </summary>
    public int AnnouncementCapacity { get; init; } = 256;

    /// <summary>Software name and version sent in the handshake. Default "TimeCoin.Network.PeerClient/0.1".</summary>
    public string UserAgent { get; init; } = "TimeCoin.Network.PeerClient/0.1";

    /// <summary>
    /// The node key the client proves in the handshake; null makes a throw-away key per connection (owned and
    /// disposed by the client). A key passed here stays the caller's.
    /// </summary>
    public KeyPair? NodeKey { get; init; }

    /// <summary>How to reach the node: <see cref="TcpTransport"/> when null; an <see cref="InMemoryNetwork"/>'s
    /// transport for a node in the same process (tests, simulations).</summary>
    public ITransport? Transport { get; init; }

    /// <summary>The clock of every timeout; <see cref="TimeProvider.System"/> when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Checks the values; returns one message per problem, naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ConnectTimeout <= TimeSpan.Zero)
            errors.Add($"{nameof(ConnectTimeout)} must be positive.");
        if (HandshakeTimeout <= TimeSpan.Zero)
            errors.Add($"{nameof(HandshakeTimeout)} must be positive.");
        if (RequestTimeout <= TimeSpan.Zero)
            errors.Add($"{nameof(RequestTimeout)} must be positive.");
        if (GoodbyeTimeout < TimeSpan.Zero)
            errors.Add($"{nameof(GoodbyeTimeout)} must not be negative.");
        if (AnnouncementCapacity < 1)
            errors.Add($"{nameof(AnnouncementCapacity)} must be at least 1.");
        if (string.IsNullOrEmpty(UserAgent) || System.Text.Encoding.UTF8.GetByteCount(UserAgent) > Protocol.ProtocolLimits.MaxStringBytes)
            errors.Add($"{nameof(UserAgent)} must be 1 to {Protocol.ProtocolLimits.MaxStringBytes} UTF-8 bytes.");
        return errors;
    }
}
