using System.Net;

namespace TimeCoin.Network.Transport;

/// <summary>A dial or listen failed (refused, unreachable, address in use). Carries the endpoint involved.</summary>
public sealed class TransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransportException(IPEndPoint endPoint, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        EndPoint = endPoint;
    }

    /// <summary>The endpoint that was being dialed or bound.</summary>
    public IPEndPoint EndPoint { get; }
}
