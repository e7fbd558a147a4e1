namespace TimeCoin.Network.Discovery;

/// <summary>Why a discovery fetch produced no usable peers (the caller then falls back to its bootstrap peers).</summary>
internal enum DiscoveryFailure
{
    /// <summary>The request could not be sent or the connection failed.</summary>
    NetworkError,
    /// <summary>The server answered with a non-success HTTP status.</summary>
    HttpStatus,
    /// <summary>No complete response within the timeout.</summary>
    TimedOut,
    /// <summary>The response is larger than the size cap.</summary>
    Oversized,
    /// <summary>The body is not a JSON array.</summary>
    Malformed,
    /// <summary>The array held no valid address.</summary>
    Empty,
}
