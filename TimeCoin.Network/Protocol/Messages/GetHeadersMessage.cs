using TimeCoin.Core.Crypto;

namespace TimeCoin.Network.Protocol;

/// <summary>Asks for headers following the first locator hash the peer knows, up to <paramref name="StopHash"/> or <paramref name="MaxCount"/>.</summary>
/// <param name="Locator">Hashes from our tip backwards, exponentially spaced (at most <see cref="ProtocolLimits.MaxLocatorHashes"/>).</param>
/// <param name="StopHash">Stop after this hash; zero for no stop.</param>
/// <param name="MaxCount">Most headers wanted (the responder caps it at <see cref="ProtocolLimits.MaxHeadersPerMessage"/>).</param>
public sealed record GetHeadersMessage(IReadOnlyList<Hash256> Locator, Hash256 StopHash, uint MaxCount) : NetworkMessage
{
    /// <inheritdoc />
    public override MessageType Type => MessageType.GetHeaders;
}
