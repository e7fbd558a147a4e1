using System.Net;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Network.Client;

/// <summary>
/// A <see cref="PeerClient"/> could not connect (dial refused or timed out, handshake failed), or its connection
/// closed before a request was answered. A request that is not answered in time throws <see cref="TimeoutException"/>
/// instead; cancelling through a token throws <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class PeerClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endPoint">The peer.</param>
    /// <param name="message">What happened.</param>
    /// <param name="handshakeFailure">Why the handshake failed, when it did.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PeerClientException(IPEndPoint endPoint, string message, HandshakeFailure? handshakeFailure = null, Exception? innerException = null)
        : base(message, innerException)
    {
        EndPoint = endPoint;
        HandshakeFailure = handshakeFailure;
    }

    /// <summary>The peer's endpoint.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Why the handshake failed (e.g. another network or genesis, a bad signature, a timeout); null when it was not the handshake.</summary>
    public HandshakeFailure? HandshakeFailure { get; }
}
