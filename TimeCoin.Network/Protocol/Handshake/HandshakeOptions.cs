namespace TimeCoin.Network.Protocol;

/// <summary>Settings for <see cref="HandshakeDriver"/>.</summary>
public sealed record HandshakeOptions
{
    /// <summary>The whole handshake (both versions and both acknowledgements) must finish within this. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
