using System.Net;

namespace TimeCoin.Network.Protocol;

/// <summary>
/// Where the protocol layer reports a peer's violations (bad frames, undecodable payloads, handshake lies). The node
/// wires it to the peer policy (<c>TimeCoin.Core.Policy.PeerPolicy.RecordViolation</c>); the policy decides on
/// bans. Implementations must be thread-safe: every connection reports from its own task.
/// </summary>
internal interface IViolationSink
{
    /// <summary>Records one violation by the peer at <paramref name="remote"/>.</summary>
    /// <param name="remote">The peer's IP address.</param>
    /// <param name="error">What it did; <see cref="ProtocolError.IsSevere"/> says whether it is severe.</param>
    void Record(IPAddress remote, ProtocolError error);
}
